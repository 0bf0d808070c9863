"""The public status of a declaration, and its withdrawal by the resident: its reference and the
last four characters of the ID number, or the same 404 for a wrong pair, an unknown reference
and a purged declaration (and the same guess limit for both)."""

from sqlalchemy import select, update

from gridgov.audit.service import record
from gridgov.declarations import Settings, states, visiting
from gridgov.declarations.models import OPEN_STATES, Declaration, DeclarationEvent
from gridgov.declarations.submit import public_view
from gridgov.errors import Conflict, NotFound
from gridgov.extensions import db

# Wrong guesses of the last four characters after which a reference answers nothing more.
MAX_GUESSES = 10
WITHDRAWN_BY_RESIDENT = "居民撤回申报"


def _not_found() -> NotFound:
    return NotFound("No declaration with this reference and ID number.", code="unknown_declaration")


def _found(reference: str, last4: str, lock: bool = False) -> Declaration:
    """The declaration behind the pair; a wrong guess is counted (and committed) before the 404."""
    query = select(Declaration).where(Declaration.reference == reference)
    decl = db.session.scalar(query.with_for_update() if lock else query)
    if decl is None or decl.id_masked is None or decl.lookup_failures >= MAX_GUESSES:
        raise _not_found()
    if decl.id_masked[-4:] != last4.upper():
        db.session.execute(
            update(Declaration)
            .where(Declaration.id == decl.id)
            .values(lookup_failures=Declaration.lookup_failures + 1)
        )
        db.session.commit()
        raise _not_found()
    return decl


def _view(decl: Declaration) -> dict:
    events = db.session.scalars(
        select(DeclarationEvent)
        .where(DeclarationEvent.declaration_id == decl.id)
        .order_by(DeclarationEvent.id)
    )
    return {
        "reference": decl.reference,
        "state": decl.state,
        "route": decl.route,
        "submitted_at": decl.submitted_at,
        "decided_at": decl.decided_at,
        "reason": decl.reason if decl.state == "rejected" else None,
        "events": [{"state": e.to_state, "at": e.at} for e in events],
        "person": {
            k: v for k, v in public_view(decl).items() if k in ("id_number", "name", "kind")
        },
    }


def status(reference: str, last4: str) -> dict:
    return _view(_found(reference, last4))


def withdraw(reference: str, last4: str, reason: str, s: Settings) -> dict:
    """The resident takes back a declaration not yet decided; its door visit, if one is out,
    is withdrawn with it (devices drop the task). One transaction."""
    decl = _found(reference, last4, lock=True)
    if decl.state not in OPEN_STATES:
        raise Conflict(
            f"Declaration {reference} is already {decl.state}; it can no longer be withdrawn.",
            code="declaration_decided",
        )
    why = reason.strip() or WITHDRAWN_BY_RESIDENT
    visiting.withdraw(decl, None, why)
    states.move(decl, "withdrawn", None, why, s.keep_days)
    record("withdraw", "declaration", decl.reference, after={**public_view(decl), "reason": why})
    db.session.flush()
    db.session.refresh(decl, ["decided_at"])
    answer = _view(decl)
    db.session.commit()
    return answer
