"""How long upload outcomes are kept for replays, pruning them, and the capture times an upload
accepts so that a record whose outcome may be pruned is never applied twice."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from gridgov.audit.service import record
from gridgov.errors import ValidationFailed
from gridgov.extensions import db
from gridgov.sync.models import PruneCutoff, SyncRecord

# How far a device's clock may run ahead of the server's.
CLOCK_SKEW = timedelta(days=1)


def capture_window(keep_days: int) -> tuple[datetime, datetime]:
    """(earliest, latest) capture time an upload accepts. A record's first upload came at most
    CLOCK_SKEW before its capture time, so one captured after the earliest cannot have had its
    outcome pruned: the earliest is the kept window, and never before the last prune's cutoff
    plus the skew (the window may have been shorter then)."""
    now = datetime.now(UTC)
    pruned = db.session.scalar(select(PruneCutoff.created_before))
    earliest = now - timedelta(days=keep_days)
    if pruned is not None:
        earliest = max(earliest, pruned + CLOCK_SKEW)
    return earliest, now + CLOCK_SKEW


def outside_window(env: dict, window: tuple[datetime, datetime]) -> ValidationFailed | None:
    earliest, latest = window
    if env["captured_at"] > latest:
        return ValidationFailed.field(
            "captured_at", "is in the future: set the device's clock and record it again"
        )
    if env["captured_at"] < earliest:
        return ValidationFailed.field(
            "captured_at",
            f"is before {earliest:%Y-%m-%d}, earlier than uploads are kept for; record it again "
            "under a new uuid",
        )
    return None


def prune(keep_days: int, chunk: int = 10_000) -> int:
    """Delete upload outcomes made before the window (less the clock skew allowed), a chunk per
    transaction; how many. The cutoff is kept (the latest of all prunes), and uploads respect it
    (capture_window) even if the window is later made longer; each chunk is audited."""
    cutoff = datetime.now(UTC) - timedelta(days=keep_days) - CLOCK_SKEW
    total = 0
    while True:
        old = select(SyncRecord.uuid).where(SyncRecord.created_at < cutoff).limit(chunk)
        deleted = db.session.execute(delete(SyncRecord).where(SyncRecord.uuid.in_(old))).rowcount
        if deleted:
            _keep_cutoff(cutoff)
            after = {"rows": deleted, "created_before": cutoff.isoformat()}
            record("prune_outcomes", "sync_records", None, after=after)
        db.session.commit()
        total += deleted
        if deleted < chunk:
            return total


def _keep_cutoff(cutoff: datetime) -> None:
    stmt = insert(PruneCutoff).values(id=1, created_before=cutoff)
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[PruneCutoff.id],
            set_={"created_before": func.greatest(PruneCutoff.created_before, cutoff)},
        )
    )
