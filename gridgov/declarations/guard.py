"""What a submission reads before it writes, in one statement: the house declared (by its code,
or by its address in a community), the people on record with the declared ID numbers, and the
throttle's counts with any declaration of those numbers still pending.

The statement runs on a connection of its own, outside any transaction (gridgov.reads): a
public submission takes no lock and sends no BEGIN. Two submissions at once may therefore both
pass a throttle standing at its limit: an address gets at most one more declaration in its
window per request in flight beside it. One pending declaration per ID number stays exact all
the same: a unique index keeps it (`pending` answers its refusal). Each statement is built once
per shape and compiled once per process; a submission only binds values."""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import and_, any_, bindparam, false, func, literal, null, or_, select, true
from sqlalchemy.dialects.postgresql import array

from gridgov import reads
from gridgov.declarations import Settings
from gridgov.declarations.models import OPEN_STATES, Declaration
from gridgov.errors import Conflict, TooManyAttempts
from gridgov.hierarchy.models import Area
from gridgov.houses.models import House
from gridgov.people.models import Person

# What triage and the staging row take of a house, and all of a person on record.
HOUSE = ("id", "code", "community_code", "grid_code", "rented", "occupants")
PERSON = tuple(a.key for a in Person.__mapper__.column_attrs)
# Pending: an ARRAY of bound values, not IN (...), which compiles to a parameter list expanded at
# execution, which gridgov.reads does not do.
OPEN = Declaration.state == any_(array(OPEN_STATES))


@dataclass
class Found:
    house: House | None  # not on record, or no house asked for (a transient object: read only)
    community: str | None  # the community declared with an address, if it is the district's
    on_record: dict[bytes, Person]  # {blind index: the person on record (transient)}


def at_address(community, address: dict) -> list:
    """The conditions on a house at an address of a community (values or bind parameters)."""
    return [
        House.community_code == community,
        House.compound == address["compound"],
        House.building == address["building"],
        House.unit == address.get("unit", ""),
        House.room == address["room"],
        House.deleted_at.is_(None),
    ]


def _throttle(people: int):
    """One row: the address's count and oldest in the window, and per ID number its count,
    oldest and pending reference (the highest, if several)."""
    recent = Declaration.submitted_at > bindparam("since")
    mine = and_(Declaration.address_hash == bindparam("address_hash"), recent)
    columns = [func.count().filter(mine), func.min(Declaration.submitted_at).filter(mine)]
    indexes = [bindparam(f"index_{i}") for i in range(people)]
    for index in indexes:
        its = Declaration.id_index == index
        columns += [
            func.count().filter(its, recent),
            func.min(Declaration.submitted_at).filter(its, recent),
            func.max(Declaration.reference).filter(its, OPEN),
        ]
    which = or_(mine, Declaration.id_index.in_(indexes)) if indexes else mine
    return select(*columns).where(which).subquery("throttle")


@cache
def _statement(people: int, house: str | None):
    """`house`: "code", "address" or None (no house asked for)."""
    throttle = _throttle(people)
    if house == "address":
        community = (
            select(Area.code)
            .where(
                Area.code == bindparam("community"),
                Area.level == "community",
                Area.valid_to.is_(None),
            )
            .subquery("community")
        )
        address = {k: bindparam(k) for k in ("compound", "building", "unit", "room")}
        on_house = and_(*at_address(community.c.code, address))
    else:
        community = select(null().label("code")).subquery("community")
        on_house = (
            and_(House.code == bindparam("house_code"), House.deleted_at.is_(None))
            if house == "code"
            else false()
        )
    indexes = [bindparam(f"index_{i}") for i in range(people)]
    on_person = Person.id_index.in_(indexes) if people else false()
    one = select(literal(1).label("one")).subquery("one")
    return (
        select(
            *throttle.c,
            community.c.code,
            *(getattr(House, c) for c in HOUSE),
            *(getattr(Person, c) for c in PERSON),
        )
        .select_from(one)
        .join(throttle, true())
        .outerjoin(community, true())
        .outerjoin(House, on_house)
        .outerjoin(Person, on_person)
    )


def _too_many(what: str, code: str, oldest: datetime, s: Settings) -> TooManyAttempts:
    wait = int((oldest + s.window - datetime.now(UTC)).total_seconds()) + 1
    return TooManyAttempts(
        f"Too many declarations {what}; try again in {wait} seconds.",
        code=code,
        headers={"Retry-After": str(max(wait, 1))},
    )


def _pending(where: str, reference: str) -> Conflict:
    return Conflict(
        f"A declaration for this ID number is pending: {reference}.",
        code="pending",
        errors=[{"field": where + "id_number", "in": "body", "message": reference}],
    )


def read(
    body: dict, indexes: list[bytes], address_hash: bytes, wheres: list[str], s: Settings
) -> Found:
    """What `body` declares on record, once the throttle let it through: refuses a client
    address, or an ID number (`indexes`, declared at `wheres`), that declared too often in the
    window, and an ID number with a declaration still pending (answered with its reference)."""
    params = {"since": datetime.now(UTC) - s.window, "address_hash": address_hash}
    params |= {f"index_{i}": v for i, v in enumerate(indexes)}
    house = "code" if "house_code" in body else "address" if "address" in body else None
    if house == "code":
        params["house_code"] = body["house_code"]
    elif house == "address":
        address = body["address"]
        params |= {k: address.get(k, "") for k in ("compound", "building", "unit", "room")}
        params["community"] = address["community_code"]
    rows = reads.rows(_statement(len(indexes), house), params)
    counts = rows[0][: 2 + 3 * len(indexes)]
    if counts[0] >= s.per_address:
        raise _too_many("from this address", "address_throttled", counts[1], s)
    for i, where in enumerate(wheres):
        n, first, pending = counts[2 + 3 * i : 5 + 3 * i]
        if n >= s.per_id:
            raise _too_many("for this ID number", "id_throttled", first, s)
        if pending is not None:
            raise _pending(where, pending)
    start = len(counts) + 1  # after the counts, the community
    house = dict(zip(HOUSE, rows[0][start : start + len(HOUSE)], strict=True))
    found = Found(House(**house) if house["id"] is not None else None, rows[0][start - 1], {})
    for row in rows:
        person = dict(zip(PERSON, row[start + len(HOUSE) :], strict=True))
        if person["id"] is not None:
            found.on_record[person["id_index"]] = Person(**person)
    return found


def throttle(address_hash: bytes, s: Settings) -> None:
    """Refuse a client address that declared too often in the window (the address pickers)."""
    read({}, [], address_hash, [], s)


def pending(indexes: list[bytes], wheres: list[str]) -> Conflict:
    """The refusal of a declaration that the unique index found pending for one of its ID
    numbers after `read` (a submission for the same number committed in between)."""
    found = dict(reads.rows(_pending_statement(), {"indexes": list(indexes)}))
    for index, where in zip(indexes, wheres, strict=True):
        if index in found:
            return _pending(where, found[index])
    # Decided again in between: the client may simply send it again.
    return Conflict("A declaration for this ID number was pending; send it again.", code="pending")


@cache
def _pending_statement():
    return select(Declaration.id_index, Declaration.reference).where(
        Declaration.id_index == any_(bindparam("indexes")), OPEN
    )
