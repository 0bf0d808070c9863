"""A building is the houses sharing the first 17 digits of their code (community 12 + building
number 5). Reads only: scoped by the houses' grid cells, like every house read."""

from sqlalchemy import Integer, case, cast, func, select

from gridgov.errors import NotFound
from gridgov.extensions import db
from gridgov.houses.models import House, Rental
from gridgov.people import views as people
from gridgov.people.models import Person
from gridgov.scope import Principal, below, inside

STATUSES = ("vacant", "occupied", "rented", "overcrowded", "hazard")


def status(rented: bool, occupants: int, hazards: list | None, crowded_above: int) -> str:
    """One colour per room, the most pressing first: a recorded hazard, then overcrowding (more
    than `crowded_above` people in a rented house), then rented, occupied, vacant."""
    if hazards:
        return "hazard"
    if rented and occupants > crowded_above:
        return "overcrowded"
    if rented:
        return "rented"
    return "occupied" if occupants > 0 else "vacant"


def _houses(principal: Principal):
    return House.deleted_at.is_(None), inside(principal, House.grid_code)


def list_buildings(
    principal: Principal, prefix: str, after: str | None, limit: int, crowded_above: int
) -> list[dict]:
    """Buildings below an area, by building code, keyset-paged, with their room counts."""
    key = func.substr(House.code, 1, 17)
    crowded = House.rented & (House.occupants > crowded_above)
    stmt = (
        select(
            key.label("code"),
            func.min(House.compound),
            func.min(House.building),
            func.count(),
            func.count(func.distinct(House.floor)),
            func.sum(cast(House.rented, Integer)),
            func.sum(case((crowded, 1), else_=0)),
            func.sum(case((House.occupants == 0, 1), else_=0)),
        )
        .where(*_houses(principal), below(House.grid_code, prefix))
        .group_by(key)
        .order_by(key)
        .limit(limit)
    )
    if after:
        stmt = stmt.where(House.code > after + "99999999")
    names = ("code", "compound", "building", "rooms", "floors", "rented", "overcrowded", "vacant")
    return [dict(zip(names, row, strict=True)) for row in db.session.execute(stmt)]


def building(principal: Principal, code: str, crowded_above: int) -> dict:
    """The building's rooms by floor (top floor first, as a 楼盘表 is drawn) and unit."""
    rows = db.session.execute(
        select(House, Rental.hazards)
        .outerjoin(Rental, Rental.house_id == House.id)
        .where(*_houses(principal), House.code.like(code + "%"))
        .order_by(House.floor.desc(), House.code)
    ).all()
    if not rows:
        raise NotFound(f"No building with code {code} in your scope.", code="unknown_building")
    floors: dict[int, dict[str, list]] = {}
    counts = dict.fromkeys(STATUSES, 0)
    for house, hazards in rows:
        state = status(house.rented, house.occupants, hazards, crowded_above)
        counts[state] += 1
        floors.setdefault(house.floor, {}).setdefault(house.code[17:19], []).append(
            {
                "code": house.code,
                "room": house.room,
                "status": state,
                "occupants": house.occupants,
                "rented": house.rented,
                "hazards": list(hazards or []),
            }
        )
    units = sorted({unit for rooms in floors.values() for unit in rooms})
    first = rows[0][0]
    return {
        "code": code,
        "community": first.community_code,
        "compound": first.compound,
        "building": first.building,
        "units": units,
        "floors": [
            {"floor": floor, "units": [{"unit": u, "rooms": by_unit.get(u, [])} for u in units]}
            for floor, by_unit in floors.items()
        ],
        "counts": counts,
    }


def occupants(principal: Principal, house_code: str) -> list[dict]:
    """The people living in a house now (the household), masked as every person view is."""
    house_id = db.session.scalar(
        select(House.id).where(House.code == house_code, *_houses(principal))
    )
    if house_id is None:
        raise NotFound(f"No house with code {house_code} in your scope.", code="unknown_house")
    persons = db.session.scalars(
        select(Person)
        .where(
            Person.house_id == house_id,
            Person.deleted_at.is_(None),
            inside(principal, Person.grid_code),
        )
        .order_by(Person.id)
    )
    return people.views(list(persons))
