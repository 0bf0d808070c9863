"""Write audit rows. Called by services inside their own transaction, so a change and its
audit row commit or roll back together."""

from contextlib import contextmanager

from gridgov.audit.models import AuditEvent
from gridgov.bulk import insert_rows
from gridgov.extensions import db

_PENDING = "gridgov.pending_rows"


def record(
    action: str,
    entity_type: str,
    entity_key: str | None,
    *,
    actor_id=None,
    device_id=None,
    before=None,
    after=None,
) -> None:
    """Add an audit row to the current transaction (values must already be masked)."""
    add_row(
        AuditEvent,
        actor_id=actor_id,
        device_id=device_id,
        action=action,
        entity_type=entity_type,
        entity_key=entity_key,
        before=before,
        after=after,
    )


def add_row(model, **values) -> None:
    """Add an append-only row (audit, change feed, stored outcome) to the transaction. Inside
    rows_together() it waits, and all such rows are inserted with one statement per table."""
    pending = db.session.info.get(_PENDING)
    if pending is None:
        db.session.add(model(**values))
    else:
        pending.append((model, values))


@contextmanager
def rows_together():
    """Collect append-only rows for a batch as (model, values); the caller drops a failed
    record's rows (del rows[mark:]) and the rest are inserted when the block ends, before the
    commit."""
    rows = db.session.info[_PENDING] = []
    try:
        yield rows
    finally:
        del db.session.info[_PENDING]
    db.session.flush()
    for model in dict.fromkeys(model for model, _ in rows):
        insert_rows(db.session, model, [values for m, values in rows if m is model])
