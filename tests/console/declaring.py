"""Declarations for the browser tests, made through the API as a resident's phone and a grid
worker's device would: certain routes (no random sample), people on record in empty houses."""

from sqlalchemy import func, select

from gridgov.declarations.models import Declaration
from gridgov.extensions import db
from gridgov.hierarchy.models import Area
from gridgov.houses.models import House
from tests import factories as f
from tests.console.conftest import STREET
from tests.declarations import helpers as d


def empty_houses(district, n: int) -> list[str]:
    """n houses of the street with at most two people (so no occupancy rule fires), none
    given to an earlier test of this district (kept with it: when the shuffled order sets the
    district up again, its houses are all free again). The generated street has only so many
    with room; the rest are registered now in the worker's cell."""
    given = district.setdefault("given_houses", set())
    codes = list(
        db.session.scalars(
            select(House.code)
            .where(
                House.grid_code.like(STREET[:9] + "%"),
                House.occupants < 3,
                House.code.not_in(given) if given else House.code.isnot(None),
                House.rented.is_(False),
                House.deleted_at.is_(None),
            )
            .order_by(House.code.desc())
            .limit(n)
        )
    )
    codes += [_registered(district) for _ in range(n - len(codes))]
    given.update(codes)
    return codes


def _registered(district) -> str:
    """A new empty house in the worker's cell, registered by district staff."""
    inside = func.ST_PointOnSurface(Area.geom)
    point = db.session.execute(
        select(func.ST_X(inside), func.ST_Y(inside)).where(Area.code == district["cell"])
    ).one()
    district["registered"] = room = district.get("registered", 0) + 1
    data = f.house_data(room=f"{900 + room}", point=tuple(point), compound="补登苑")
    [made] = f.upload(
        district["client"], district["staff"], f.envelope("house", data, position=None)
    )
    assert made["outcome"] == "created", made
    return made["key"]


def on_record(district, seq: int, house: str) -> int:
    """A resident recorded in `house` by district staff (read from the card)."""
    data = f.person_data(seq, house, kind="resident")
    [created] = f.upload(
        district["client"], district["staff"], f.envelope("person", data, position=None)
    )
    assert created["outcome"] == "created", created
    return int(created["key"])


def declare(district, seq: int, house: str, address: str, **person) -> Declaration:
    """A resident's declaration with the rules' random sample off; the staged row."""
    d.rules(district["client"], sample_rate=0.0)
    body = {"person": d.person(seq, **person), "house_code": house}
    answer = d.declare(district["client"], body, address=address)
    db.session.expire_all()
    return db.session.scalar(
        select(Declaration).where(Declaration.reference == answer["reference"])
    )


def phone_changed(district, seq: int, house: str, address: str) -> Declaration:
    """Someone on record declares a new phone number: the desk-check rule."""
    on_record(district, seq, house)
    decl = declare(district, seq, house, address, name=f"测试{seq}", phone="13700001111")
    assert (decl.route, decl.rule_name) == ("desk", "电话号码变更"), (decl.route, decl.rule_name)
    return decl
