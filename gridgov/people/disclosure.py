"""Disclosures: finding a person by ID number and showing a number in full, each audited."""

from gridgov import idnumber
from gridgov.audit.service import record
from gridgov.clock import district_today
from gridgov.errors import Forbidden, NotFound
from gridgov.extensions import db
from gridgov.people.models import Person
from gridgov.people.views import scoped, view
from gridgov.records.checks import parse_id
from gridgov.scope import Principal

REVEALABLE = {
    "id_number": ("id_sealed", "person.id_number"),
    "phone": ("phone_sealed", "person.phone"),
}


def lookup(principal: Principal, vault, id_number: str) -> dict:
    """Find a person by ID number through the blind index; the look-up itself is audited."""
    parsed = parse_id(id_number, "id_number", district_today())
    index = vault.index(parsed.number, "id_number")
    person = db.session.scalar(scoped(principal).where(Person.id_index == index))
    record(
        "lookup_person",
        "person",
        str(person.id) if person else None,
        actor_id=principal.user_id,
        after={
            "id_number": idnumber.mask(parsed.number),
            "found": person is not None,
        },
    )
    db.session.commit()
    if person is None:
        raise NotFound("No person with that ID number in your scope.", code="unknown_person")
    return view(person)


def reveal(principal: Principal, vault, person_id: int, field: str, reason: str) -> dict:
    """Show one ID or phone number in full: staff only, with a reason, always audited."""
    if principal.role not in ("street_staff", "district_staff"):
        raise Forbidden(
            "Only street or district staff may reveal personal numbers.", code="reveal_not_allowed"
        )
    person = db.session.scalar(scoped(principal).where(Person.id == person_id))
    if person is None:
        raise NotFound(f"No person with id {person_id} in your scope.", code="unknown_person")
    column, purpose = REVEALABLE[field]
    sealed = getattr(person, column)
    if sealed is None:
        raise NotFound(f"No {field} is recorded for this person.", code="no_value")
    record(
        "reveal",
        "person",
        str(person.id),
        actor_id=principal.user_id,
        after={"field": field, "reason": reason},
    )
    db.session.commit()
    return {"id": person.id, "field": field, "value": vault.open(sealed, purpose)}
