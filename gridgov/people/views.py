"""People as a scoped reader sees them: ID and phone numbers masked, deleted people gone."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, cast, func, select

from gridgov.clock import district_today
from gridgov.errors import NotFound
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people.models import Person
from gridgov.scope import Principal, inside


def view(person: Person, house_code: str | None = None) -> dict:
    """A person as a scoped reader sees them: ID and phone numbers masked."""
    if house_code is None:
        house_code = db.session.scalar(select(House.code).where(House.id == person.house_id))
    return {
        "id": person.id,
        "id_number": person.id_masked,
        "id_kind": person.id_kind,
        "name": person.name,
        "sex": person.sex,
        "sex_mismatch": person.sex_mismatch,
        # The year only: the masked ID number hides the birth date, and the date beside it
        # would complete the number (see README, "Masking").
        "birth_year": person.birth_date.year,
        "ethnicity": person.ethnicity,
        "phone": person.phone_masked,
        "kind": person.kind,
        "house": house_code,
        "grid": person.grid_code,
        "origin_code": person.origin_code,
        "inflow_reason": person.inflow_reason,
        "arrival_date": person.arrival_date.isoformat() if person.arrival_date else None,
        "special_concern": person.special_concern,
        "details": person.details,
        "capture_method": person.capture_method,
        "version": person.version,
        "deleted": person.deleted_at is not None,
    }


def scoped(principal: Principal):
    return select(Person).where(Person.deleted_at.is_(None), inside(principal, Person.grid_code))


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
    stmt = _filtered(scoped(principal).where(Person.grid_code.like(prefix + "%")), filters)
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
    stmt = _filtered(scoped(principal).where(Person.grid_code.like(prefix + "%")), filters)
    if after:
        stmt = stmt.where(Person.id > after)
    return views(list(db.session.scalars(stmt.order_by(Person.id).limit(limit))))


def views(persons: list[Person]) -> list[dict]:
    """Views of several people, with one query for all their house codes."""
    house_ids = {p.house_id for p in persons}
    codes = (
        dict(db.session.execute(select(House.id, House.code).where(House.id.in_(house_ids))).all())
        if persons
        else {}
    )
    return [view(p, codes.get(p.house_id)) for p in persons]


def views_by_id(principal: Principal, ids: set[int]) -> dict[int, dict]:
    """The people among `ids` the principal may see (not deleted), by id."""
    persons = list(db.session.scalars(scoped(principal).where(Person.id.in_(ids)))) if ids else []
    return {p.id: v for p, v in zip(persons, views(persons), strict=True)}
