"""楼盘表: a generated building's rooms, floor by floor, each coloured by its status."""

from sqlalchemy import func, select

from gridgov.buildings.service import status
from gridgov.extensions import db
from gridgov.houses.models import House, Rental
from tests.console.conftest import log_in


def tallest_building() -> str:
    key = func.substr(House.code, 1, 17)
    return db.session.scalar(
        select(key)
        .where(House.grid_code.like("440303001%"))
        .group_by(key)
        .order_by(func.count(func.distinct(House.floor)).desc(), func.count().desc(), key)
        .limit(1)
    )


def test_the_building_emap_shows_every_room_with_its_status_and_opens_the_house(page, district):
    code = tallest_building()
    rows = db.session.execute(
        select(House.code, House.floor, House.rented, House.occupants, Rental.hazards)
        .outerjoin(Rental, Rental.house_id == House.id)
        .where(House.code.like(code + "%"), House.deleted_at.is_(None))
    ).all()
    expected = {r.code: status(r.rented, r.occupants, r.hazards, 6) for r in rows}
    assert len({r.floor for r in rows}) > 1
    log_in(page, district, "street", f"buildings/{code}")
    page.wait_for_selector("[data-test=emap] .room")
    shown = page.eval_on_selector_all(
        "[data-test=emap] .room", "rooms => rooms.map(r => [r.dataset.code, r.dataset.status])"
    )
    assert dict(shown) == expected
    floors = page.eval_on_selector_all(
        "[data-test=emap] tbody th", "ths => ths.map(t => t.innerText)"
    )
    assert floors == [f"{n}层" for n in sorted({r.floor for r in rows}, reverse=True)]
    first = shown[0][0]
    page.click(f"[data-test=emap] .room[data-code='{first}']")
    page.wait_for_url(f"**/console/houses/{first}")
    assert first in page.wait_for_selector("[data-test=house]").inner_text()
