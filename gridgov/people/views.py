"""People as a scoped reader sees them: ID and phone numbers masked, deleted people gone."""

from dataclasses import dataclass
from datetime import date, timedelta

import orjson
from sqlalchemy import Date, Integer, Text, cast, extract, func, select
from sqlalchemy.orm import aliased

from gridgov.bulk import fetch_all
from gridgov.clock import district_today
from gridgov.errors import NotFound
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people.models import Person
from gridgov.scope import Principal, below, inside

# What a scoped reader sees of a person, as (view field, Person attribute): the masked copy
# where the number is sealed, and of the birth date the year only (YEAR_ONLY): the masked ID
# number hides the birth date, and the date beside it would complete the number (see README,
# "Masking"). The view, the API lists and the exports all read these, so each rule has this
# one place.
SHOWN = {
    "id": "id",
    "id_number": "id_masked",
    "id_kind": "id_kind",
    "name": "name",
    "sex": "sex",
    "sex_mismatch": "sex_mismatch",
    "birth_year": "birth_date",
    "ethnicity": "ethnicity",
    "phone": "phone_masked",
    "kind": "kind",
    "house": None,  # the code of the house, not its id
    "grid": "grid_code",
    "origin_code": "origin_code",
    "inflow_reason": "inflow_reason",
    "arrival_date": "arrival_date",
    "special_concern": "special_concern",
    "details": "details",
    "capture_method": "capture_method",
    "version": "version",
}
YEAR_ONLY = frozenset({"birth_year"})


def view(person: Person, house_code: str | None = None) -> dict:
    """A person as a scoped reader sees them: ID and phone numbers masked."""
    if house_code is None:
        house_code = db.session.scalar(select(House.code).where(House.id == person.house_id))
    out = {key: getattr(person, name) if name else house_code for key, name in SHOWN.items()}
    for key in YEAR_ONLY:
        out[key] = out[key].year
    if out["arrival_date"] is not None:
        out["arrival_date"] = out["arrival_date"].isoformat()
    out["deleted"] = person.deleted_at is not None
    return out


def _visible(principal: Principal) -> tuple:
    return Person.deleted_at.is_(None), inside(principal, Person.grid_code)


def scoped(principal: Principal):
    return select(Person).where(*_visible(principal))


def get_person(principal: Principal, person_id: int) -> dict:
    person = db.session.scalar(scoped(principal).where(Person.id == person_id))
    if person is None:
        raise NotFound(f"No person with id {person_id} in your scope.", code="unknown_person")
    return view(person)


@dataclass(frozen=True)
class PersonFilters:
    """What desk staff narrow a list of people by; None: not narrowed."""

    kind: str | None = None
    name: str | None = None  # exactly
    name_prefix: str | None = None
    phone_index: bytes | None = None  # the phone's blind index (the number is never stored)
    compound: str | None = None
    building: str | None = None
    house: str | None = None  # a house code: its occupants
    expiring_within: int | None = None  # days: floating registrations that end by then
    special_concern: bool | None = None
    sex_mismatch: bool | None = None
    today: date | None = None


def _filtered(stmt, f: PersonFilters):
    if f.kind:
        stmt = stmt.where(Person.kind == f.kind)
    if f.name:
        stmt = stmt.where(Person.name == f.name)
    if f.name_prefix:
        escaped = f.name_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Person.name.like(escaped + "%", escape="\\"))
    if f.phone_index is not None:
        stmt = stmt.where(Person.phone_index == f.phone_index)
    if f.special_concern is not None:
        stmt = stmt.where(Person.special_concern.is_(f.special_concern))
    if f.sex_mismatch is not None:
        stmt = stmt.where(Person.sex_mismatch.is_(f.sex_mismatch))
    if f.compound or f.building or f.house:
        home = select(House.id).where(House.deleted_at.is_(None))
        if f.compound:
            home = home.where(House.compound == f.compound)
        if f.building:
            home = home.where(House.building == f.building)
        if f.house:
            home = home.where(House.code == f.house)
        stmt = stmt.where(Person.house_id.in_(home))
    if f.expiring_within is not None:
        today = f.today or district_today()
        expires = Person.details["floating"]["expires_on"].astext
        stmt = stmt.where(
            Person.kind == "floating",
            expires.op("~")(r"^\d{4}-\d{2}-\d{2}$"),
            cast(expires, Date).between(today, today + timedelta(days=f.expiring_within)),
        )
    return stmt


def count_persons(principal: Principal, prefix: str, filters: PersonFilters) -> int:
    """How many people list_persons() would list, over all its pages."""
    stmt = _filtered(scoped(principal).where(below(Person.grid_code, prefix)), filters)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def list_persons(
    principal: Principal,
    prefix: str,
    filters: PersonFilters,
    after: int | None,
    limit: int,
) -> list[dict]:
    """People (not deleted) living below an area, narrowed by `filters`, by id, keyset-paged
    after an id."""
    return _views_of(list_rows(principal, prefix, filters, after, limit, _FIELDS))


def views_by_id(principal: Principal, ids: set[int]) -> dict[int, dict]:
    """The people among `ids` the principal may see (not deleted), by id."""
    if not ids:
        return {}
    rows = fetch_all(_rows(principal, _FIELDS).where(Person.id.in_(ids)))
    return {v["id"]: v for v in _views_of(rows)}


def views(persons: list[Person]) -> list[dict]:
    """Views of several people, with one query for all their house codes."""
    house_ids = {p.house_id for p in persons}
    codes = (
        dict(db.session.execute(select(House.id, House.code).where(House.id.in_(house_ids))).all())
        if persons
        else {}
    )
    return [view(p, codes.get(p.house_id)) for p in persons]


# Lists read the view's fields as columns (no ORM object), details as JSON text.
_FIELDS = tuple(SHOWN)
_DETAILS = _FIELDS.index("details")


def _views_of(rows: list) -> list[dict]:
    """Rows of the view's fields (_FIELDS) of people not deleted, as view() shows them: the
    details of all of them decoded in one call (a device's first sync reads pages of
    thousands)."""
    details = orjson.loads("[" + ",".join(r[_DETAILS] or "null" for r in rows) + "]")
    out = []
    for row, free in zip(rows, details, strict=True):
        person = dict(zip(_FIELDS, row, strict=True))
        person["details"] = free
        if person["arrival_date"] is not None:
            person["arrival_date"] = person["arrival_date"].isoformat()
        person["deleted"] = False
        out.append(person)
    return out


def _shown_column(field: str, home):
    if SHOWN[field] is None:
        return home.code
    if field == "details":  # as JSON text: the reader decodes a page of them at once
        return cast(Person.details, Text)
    if field in YEAR_ONLY:
        return cast(extract("year", getattr(Person, SHOWN[field])), Integer)
    return getattr(Person, SHOWN[field])


def _rows(principal: Principal, fields: tuple[str, ...]):
    """A select of the view fields `fields` of the people the principal may see."""
    home = aliased(House)  # the house filters' subquery must not correlate with this join
    shown = [_shown_column(f, home) for f in fields]
    return (
        select(*shown)
        .select_from(Person)
        .outerjoin(home, home.id == Person.house_id)
        .where(*_visible(principal))
    )


def list_rows(
    principal: Principal,
    prefix: str,
    filters: PersonFilters,
    after: int | None,
    limit: int,
    fields: tuple[str, ...],
) -> list:
    """The page list_persons() would give, as tuples of the view fields `fields` only (the
    first must be "id"; "details" as JSON text): no ORM objects and no sealed columns are
    loaded."""
    stmt = _filtered(_rows(principal, fields).where(below(Person.grid_code, prefix)), filters)
    if after:
        stmt = stmt.where(Person.id > after)
    return fetch_all(stmt.order_by(Person.id).limit(limit))
