"""Write audit rows. Called by services inside their own transaction, so a change and its
audit row commit or roll back together."""

from gridgov.audit.models import AuditEvent
from gridgov.bulk import add_row


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
    """Add an audit row to the current transaction (values must already be masked). Inside a
    batch (bulk.rows_together) it is inserted with the batch's other rows."""
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
