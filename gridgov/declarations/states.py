"""State transitions of a declaration: each one a declaration_events row (who, when, why)."""

from datetime import timedelta

from sqlalchemy import func

from gridgov.clock import district_today
from gridgov.declarations.models import CLOSED_STATES, Declaration, DeclarationEvent
from gridgov.errors import Conflict
from gridgov.extensions import db

# Which state may follow which.
NEXT = {
    None: ("submitted",),
    "submitted": ("triaged",),
    "triaged": ("visiting", "reviewed", "approved", "rejected", "withdrawn"),
    "visiting": ("reviewed", "approved", "rejected", "withdrawn"),
    "reviewed": ("visiting", "approved", "rejected", "withdrawn"),
}


def move(
    decl: Declaration, to: str, actor_id: int | None, reason: str | None, keep_days: int = 180
) -> None:
    """Move a declaration on; a closed one is dated and given the day its personal fields go."""
    if to not in NEXT.get(decl.state, ()):
        raise Conflict(
            f"Declaration {decl.reference} is {decl.state}; it cannot become {to}.",
            code="declaration_state",
        )
    event = DeclarationEvent(from_state=decl.state, to_state=to, actor_id=actor_id, reason=reason)
    if decl.id is None:
        decl.events.append(event)  # written with the new declaration
    else:
        event.declaration_id = decl.id
        db.session.add(event)
    decl.state = to
    if to in CLOSED_STATES:
        close(decl, actor_id, keep_days)


def close(decl: Declaration, actor_id: int | None, keep_days: int) -> None:
    decl.decided_at, decl.decided_by = func.now(), actor_id
    decl.purge_after = district_today() + timedelta(days=keep_days)


def triaged(decl: Declaration, reason: str) -> None:
    """A new declaration, submitted and triaged at once: both events written with it (no
    round trip before the commit)."""
    decl.state = "triaged"
    decl.events = [
        DeclarationEvent(to_state="submitted"),
        DeclarationEvent(from_state="submitted", to_state="triaged", reason=reason),
    ]
    db.session.add(decl)
