"""What a submission reads before it writes: the advisory locks of its throttle keys with the
house and the people on record, then the throttle and the pending check. Each statement is
built once per shape (how many ID numbers, a house code or not) and only binds values after:
building SQLAlchemy expressions cost more CPU per declaration than running them."""

from datetime import UTC, datetime
from functools import cache

from sqlalchemy import and_, bindparam, false, func, literal, or_, select

from gridgov.declarations import Settings
from gridgov.declarations.models import OPEN_STATES, Declaration
from gridgov.errors import Conflict, TooManyAttempts
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people.models import Person


def _lock_ids(*keys: bytes) -> list[int]:
    """The advisory lock of each throttle key (an address, an ID number), in one order (two
    submissions then queue instead of deadlocking)."""
    return sorted({int.from_bytes(k[:8], "big", signed=True) for k in keys})


@cache
def _locked_statement(locks: int, people: int, by_code: bool):
    on_code = (
        and_(House.code == bindparam("house_code"), House.deleted_at.is_(None))
        if by_code
        else false()
    )
    indexes = [bindparam(f"index_{i}") for i in range(people)]
    one = select(literal(1).label("one")).subquery()
    return (
        select(
            House,
            Person,
            *(func.pg_advisory_xact_lock(bindparam(f"lock_{i}")) for i in range(locks)),
        )
        .select_from(one)
        .outerjoin(House, on_code)
        .outerjoin(Person, Person.id_index.in_(indexes))
    )


def locked(house_code: str | None, indexes: list[bytes], address_hash: bytes):
    """Take the locks, and read in the same round trip the house declared by its code (None:
    not known, or an address declared) and the people on record with the declared ID numbers
    ({blind index: Person}). The throttle reads after the locks are held, in a statement of
    its own: its snapshot must see what the submission that held them before wrote."""
    ids = _lock_ids(address_hash, *indexes)
    params = {f"lock_{i}": v for i, v in enumerate(ids)}
    params |= {f"index_{i}": v for i, v in enumerate(indexes)}
    if house_code is not None:
        params["house_code"] = house_code
    statement = _locked_statement(len(ids), len(indexes), house_code is not None)
    rows = db.session.execute(statement, params).all()
    return rows[0][0], {p.id_index: p for _, p, *_ in rows if p is not None}


def _too_many(what: str, code: str, oldest: datetime, s: Settings) -> TooManyAttempts:
    wait = int((oldest + s.window - datetime.now(UTC)).total_seconds()) + 1
    return TooManyAttempts(
        f"Too many declarations {what}; try again in {wait} seconds.",
        code=code,
        headers={"Retry-After": str(max(wait, 1))},
    )


@cache
def _throttle_statement(people: int):
    recent = Declaration.submitted_at > bindparam("since")
    mine = and_(Declaration.address_hash == bindparam("address_hash"), recent)
    columns = [func.count().filter(mine), func.min(Declaration.submitted_at).filter(mine)]
    indexes = [bindparam(f"index_{i}") for i in range(people)]
    for index in indexes:
        its = Declaration.id_index == index
        columns += [
            func.count().filter(its, recent),
            func.min(Declaration.submitted_at).filter(its, recent),
            func.max(Declaration.reference).filter(its, Declaration.state.in_(OPEN_STATES)),
        ]
    return select(*columns).where(or_(mine, Declaration.id_index.in_(indexes)))


def throttle(address_hash: bytes, indexes: list[bytes], wheres: list[str], s: Settings) -> None:
    """Refuse a client address, or an ID number, that declared too often in the window, and
    an ID number with a declaration still pending (answered with its reference): one query."""
    params = {"since": datetime.now(UTC) - s.window, "address_hash": address_hash}
    params |= {f"index_{i}": v for i, v in enumerate(indexes)}
    row = db.session.execute(_throttle_statement(len(indexes)), params).one()
    if row[0] >= s.per_address:
        raise _too_many("from this address", "address_throttled", row[1], s)
    for i, where in enumerate(wheres):
        n, first, pending = row[2 + 3 * i : 5 + 3 * i]
        if n >= s.per_id:
            raise _too_many("for this ID number", "id_throttled", first, s)
        if pending is not None:
            raise Conflict(
                f"A declaration for this ID number is pending: {pending}.",
                code="pending",
                errors=[{"field": where + "id_number", "in": "body", "message": pending}],
            )
