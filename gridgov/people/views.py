"""People as a scoped reader sees them: ID and phone numbers masked, deleted people gone."""

from sqlalchemy import select

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


def list_persons(
    principal: Principal, prefix: str, kind: str | None, after: int | None, limit: int
) -> list[dict]:
    stmt = scoped(principal).where(Person.grid_code.like(prefix + "%"))
    if kind:
        stmt = stmt.where(Person.kind == kind)
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
