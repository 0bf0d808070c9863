"""The upload: an idempotent batch with one outcome per record.

A batch runs in one transaction. New houses and people are checked first and written together,
one statement per table; any other record runs in a savepoint of its own once the new records
before it are written. Either way a record is applied whole or not at all, a bad record does not
sink the others, and a worker killed mid-batch leaves nothing behind (the device retries the
batch). Every outcome is stored under the record's UUID in the same transaction as its writes,
so a retried record gets the stored outcome again instead of a second write.
"""

import contextlib
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from uuid import UUID

from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from gridgov.bulk import rows_together
from gridgov.errors import GridgovError, schema_errors
from gridgov.extensions import db
from gridgov.records.outcome import Outcome, Stale
from gridgov.records.writer import Writer
from gridgov.sync import handlers, schemas
from gridgov.sync.conflicts import file_conflict
from gridgov.sync.geofence import Settings, geofence, near_cells
from gridgov.sync.models import SyncRecord
from gridgov.sync.retention import capture_window, outside_window
from gridgov.visits import results


def _hash(raw: dict) -> bytes:
    # surrogatepass: a record carrying a lone surrogate still hashes, so it can be refused alone.
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def upload(w: Writer, settings: Settings, raw_records: list[dict]) -> list[dict]:
    """Apply a batch; return one result per record, in order. A deadlock with another batch
    rolls this one back and runs it again: every record is idempotent, so that is safe."""
    near = partial(near_cells, w.principal, metres=settings.geofence_metres)
    for attempt in itertools.count(1):
        try:
            stored = _stored(raw_records)
            # What a replayed record needs is stored: the look-ups are for the others only.
            fresh = [raw for raw in raw_records if _uuid(raw) not in stored]
            prefetched = handlers.Prefetched()
            if fresh:
                prefetched = handlers.prefetch(w, fresh, near)
                # A copy of this batch that held those locks may have committed meanwhile.
                stored |= _stored(fresh)
            with rows_together() as rows:
                batch = Batch(rows, stored, capture_window(settings.keep_days), prefetched)
                results = [_one(w, settings, raw, batch) for raw in raw_records]
                batch.write(w)
            db.session.commit()
            return results
        except (OperationalError, IntegrityError) as e:
            db.session.rollback()
            if getattr(e.orig, "sqlstate", None) not in RETRYABLE or attempt == 3:
                raise


# Deadlock, serialization failure, and a unique violation: another upload stored the same UUIDs
# first (a device retrying while its first try still ran), or registered the same person or
# numbered the same building meanwhile; the rerun replays them or finds them.
RETRYABLE = ("40P01", "40001", "23505")


@dataclass
class Batch:
    rows: list  # audit, change and outcome rows, written together when the batch ends
    stored: dict[UUID, SyncRecord]  # outcomes stored by earlier uploads
    window: tuple[datetime, datetime]  # the capture times a record may have (capture_window)
    prefetched: handlers.Prefetched  # the rows the batch's records name
    done: dict[UUID, tuple[bytes, dict]] = field(default_factory=dict)  # earlier in this batch
    # New houses and people checked but not yet written, by type, each with the result it
    # fills in when written.
    new: dict[str, list[tuple[dict, bytes, object, dict]]] = field(
        default_factory=lambda: {"house": [], "person": []}
    )

    def later(self, env: dict, digest: bytes, new) -> dict:
        result = {"uuid": str(env["uuid"])}
        self.new[env["type"]].append((env, digest, new, result))
        self.done[env["uuid"]] = (digest, result)
        return result

    def write(self, w: Writer) -> None:
        """Write the new records planned so far, all at once. Any other record calls this
        first, so it sees every record before it. A unique violation here (another upload
        wrote the same person or building meanwhile) reruns the batch."""
        for kind, pending in self.new.items():
            if not pending:
                continue
            outcomes = handlers.CREATORS[kind](w, [new for _, _, new, _ in pending])
            for (env, digest, _, result), outcome in zip(pending, outcomes, strict=True):
                result.update(outcome.as_dict())
                self.rows.append(_stored_outcome(w, env, digest, result))
            pending.clear()


def _uuid(raw) -> UUID | None:
    with contextlib.suppress(TypeError, ValueError, AttributeError):
        return UUID(raw.get("uuid"))
    return None


def _stored(raw_records: list) -> dict[UUID, SyncRecord]:
    uuids = {uuid for uuid in map(_uuid, raw_records) if uuid is not None}
    found = db.session.scalars(select(SyncRecord).where(SyncRecord.uuid.in_(uuids)))
    return {record.uuid: record for record in found}


def _one(w: Writer, settings: Settings, raw: dict, batch: Batch) -> dict:
    """One record: a new house or person is planned for the batch to write; any other record
    runs in a savepoint after the planned ones are written. Its audit, change-feed and outcome
    rows join the batch's."""
    try:
        env = schemas.RECORD.load(raw)
    except MarshmallowError as e:
        uuid = raw.get("uuid") if isinstance(raw, dict) else None
        failed = Outcome(
            "rejected", 422, code="validation_failed", errors=schema_errors(e.messages)
        )
        return {"uuid": uuid, **failed.as_dict()}
    digest = _hash(raw)
    if (stored := batch.stored.get(env["uuid"])) is not None:
        # Another user's UUID is never theirs to replay: it counts as reused.
        mine = stored.user_id == w.principal.user_id
        stored_digest = bytes(stored.content_hash) if mine else None
        return _replay(env["uuid"], stored_digest, stored.result, digest)
    if (earlier := batch.done.get(env["uuid"])) is not None:
        batch.write(w)  # its result is complete once written
        return _replay(env["uuid"], *earlier, digest)
    if (outside := outside_window(env, batch.window)) is not None:
        return _keep(w, env, digest, Outcome.refused(outside), batch)
    if env["type"] == "person" and batch.new["house"]:
        batch.write(w)  # a person may live in a house this batch is recording
    try:
        # A door visit carries its own proof of where the device was (visits.results).
        visit = env["type"] == "visit"
        flags = (
            [] if visit else geofence(w.principal, settings, env["position"], batch.prefetched.near)
        )
        new = None if visit else handlers.plan(w, env, batch.prefetched)
    except GridgovError as e:
        return _keep(w, env, digest, Outcome.refused(e), batch)
    if new is not None:
        new.flags = sorted(set(new.flags) | set(flags))
        return batch.later(env, digest, new)
    batch.write(w)
    rows, mark = batch.rows, len(batch.rows)
    try:
        try:
            with db.session.begin_nested():
                outcome = _apply(w, settings, env, batch.prefetched)
                outcome.flags = sorted(set(outcome.flags) | set(flags))
            return _keep(w, env, digest, outcome, batch)
        except GridgovError as e:
            refused = Outcome.refused(e)
        except Stale as e:
            refused, stale = None, e
        # The record's writes were undone with its savepoint; keep the refusal or the conflict.
        del rows[mark:]
        with db.session.begin_nested():
            outcome = refused or file_conflict(w, env, stale)
        return _keep(w, env, digest, outcome, batch)
    except IntegrityError:
        del rows[mark:]
        # Another upload wrote the same record or the same UUID at the same moment and won. If
        # it was this very record (a device retrying while its first try still ran), its stored
        # outcome is the answer.
        if (stored := _fresh(env["uuid"])) is not None:
            return _replay(env["uuid"], bytes(stored.content_hash), stored.result, digest)
        busy = Outcome(
            "rejected",
            409,
            code="concurrent_write",
            detail="Another upload changed this record at the same time; retry.",
        )
        return {"uuid": str(env["uuid"]), **busy.as_dict()}


def _apply(w: Writer, settings: Settings, env: dict, rows: handlers.Prefetched) -> Outcome:
    if env["type"] == "visit":
        return results.record_result(w, env, settings.visit_max_distance_m)
    return handlers.apply(w, env, rows)


def _fresh(uuid: UUID) -> SyncRecord | None:
    """The stored outcome of a UUID as committed now (not as this session last saw it)."""
    return db.session.get(SyncRecord, uuid, populate_existing=True)


def _keep(w: Writer, env: dict, digest: bytes, outcome: Outcome, batch: Batch) -> dict:
    """Store the outcome under the record's UUID, in the same transaction as its writes."""
    result = {"uuid": str(env["uuid"]), **outcome.as_dict()}
    batch.done[env["uuid"]] = (digest, result)
    batch.rows.append(_stored_outcome(w, env, digest, result))
    return result


def _stored_outcome(w: Writer, env: dict, digest: bytes, result: dict) -> tuple:
    """The row that keeps a record's outcome under its UUID (for rows_together)."""
    values = {
        "uuid": env["uuid"],
        "user_id": w.principal.user_id,
        "device_id": w.device_id,
        "content_hash": digest,
        "result": result,
    }
    return SyncRecord, values


def _replay(uuid: UUID, stored_digest: bytes | None, result: dict, digest: bytes) -> dict:
    if stored_digest != digest:
        return {
            "uuid": str(uuid),
            **Outcome(
                "rejected",
                409,
                code="uuid_reused",
                detail="This UUID was already used for a different record.",
            ).as_dict(),
        }
    return {**result, "replayed": True}
