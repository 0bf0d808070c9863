"""Disclosures: finding a person by ID number and showing a number in full, each audited."""

import re

from gridgov import idnumber
from gridgov.audit.service import record
from gridgov.clock import district_today
from gridgov.errors import Forbidden, NotFound, ValidationFailed
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


def _reason_problem(reason: str) -> str | None:
    if len(reason) > 200:
        return "must be at most 200 characters"
    if len(re.findall(r"\w", reason)) < 2:
        return "must say why, in at least 2 letters or characters (not only spaces or punctuation)"
    return None


def _refused(principal: Principal, person_id: int, field: str, reason: str, err):
    """Refused reveals are audited too: trying to see numbers one may not is worth knowing."""
    record(
        "reveal_refused",
        "person",
        str(person_id),
        actor_id=principal.user_id,
        after={"field": field, "reason": reason, "refused": err.code},
    )
    db.session.commit()
    return err


def reveal(principal: Principal, vault, person_id: int, field: str, reason: str) -> dict:
    """Show one ID or phone number in full: staff only, with a reason, always audited (a refusal
    as well as a disclosure)."""
    reason = reason.strip()
    if principal.role not in ("street_staff", "district_staff"):
        message = "Only street or district staff may reveal personal numbers."
        err = Forbidden(message, code="reveal_not_allowed")
        raise _refused(principal, person_id, field, reason, err)
    if problem := _reason_problem(reason):
        raise _refused(
            principal, person_id, field, reason, ValidationFailed.field("reason", problem)
        )
    person = db.session.scalar(scoped(principal).where(Person.id == person_id))
    column, purpose = REVEALABLE[field]
    sealed = getattr(person, column) if person is not None else None
    if sealed is None:
        # No such person in scope, or no such number recorded: the same answer, so a refusal
        # says nothing of people outside one's scope.
        err = NotFound(f"No {field} of person {person_id} in your scope.", code="unknown_person")
        raise _refused(principal, person_id, field, reason, err)
    record(
        "reveal",
        "person",
        str(person.id),
        actor_id=principal.user_id,
        after={"field": field, "reason": reason},
    )
    db.session.commit()
    return {"id": person.id, "field": field, "value": vault.open(sealed, purpose)}
