"""The public status of a declaration: its reference and the last four characters of the ID
number, or the same 404 for a wrong pair, an unknown reference and a purged declaration."""

from sqlalchemy import select, update

from gridgov.declarations.models import Declaration, DeclarationEvent
from gridgov.declarations.submit import public_view
from gridgov.errors import NotFound
from gridgov.extensions import db

# Wrong guesses of the last four characters after which a reference answers nothing more.
MAX_GUESSES = 10


def _not_found() -> NotFound:
    return NotFound("No declaration with this reference and ID number.", code="unknown_declaration")


def status(reference: str, last4: str) -> dict:
    decl = db.session.scalar(select(Declaration).where(Declaration.reference == reference))
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
