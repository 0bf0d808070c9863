"""The sync contract: idempotent batch upload with one outcome per record, conflicts for desk
staff, and the change feed a device pulls.

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
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import DateTime, delete, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from gridgov.audit.models import AuditEvent
from gridgov.audit.service import record, rows_together
from gridgov.auth.scope import Principal, inside
from gridgov.errors import GridgovError, NotFound, ValidationFailed, schema_errors
from gridgov.extensions import db
from gridgov.houses import service as houses
from gridgov.houses.models import House
from gridgov.people import idnumber
from gridgov.people import service as people
from gridgov.people.models import Person
from gridgov.sync import schemas
from gridgov.sync.models import Change, Conflict, SyncRecord
from gridgov.sync.records import HOME_COLUMNS, Outcome, Stale, WriteContext, geofence, locate

HANDLERS = {
    ("house", "upsert"): houses.upsert,
    ("house", "delete"): houses.delete,
    ("person", "upsert"): people.upsert,
    ("person", "delete"): people.delete,
    ("person", "move"): people.move,
}
CONFLICT_FIELDS = {"house": houses.conflict_fields, "person": people.conflict_fields}
# New records a batch checks first and writes together (None from a planner: not new).
PLANNERS = {"house": houses.plan_create, "person": people.plan_create}
CREATORS = {"house": houses.create_many, "person": people.create_many}


def _hash(raw: dict) -> bytes:
    # surrogatepass: a record carrying a lone surrogate still hashes, so it can be refused alone.
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def upload(ctx: WriteContext, raw_records: list[dict]) -> list[dict]:
    """Apply a batch; return one result per record, in order. A deadlock with another batch
    rolls this one back and runs it again: every record is idempotent, so that is safe."""
    for attempt in itertools.count(1):
        try:
            stored = _stored(raw_records)
            # What a replayed record needs is stored: the look-ups are for the others only.
            fresh = [raw for raw in raw_records if _uuid(raw) not in stored]
            if fresh:
                _lock_rows(ctx, fresh)
                # A copy of this batch that held those locks may have committed meanwhile.
                stored |= _stored(fresh)
                _locate(ctx, fresh)
            with rows_together() as rows:
                batch = Batch(rows, stored, _capture_window(ctx.settings.keep_days))
                results = [_one(ctx, raw, batch) for raw in raw_records]
                batch.write(ctx)
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


def _lock_rows(ctx: WriteContext, raw_records: list) -> None:
    """Fetch every stored person and house the batch names into the context, locking the
    people and the houses it writes in one global order before any record runs: two batches
    touching the same rows in different orders then queue instead of deadlocking, and records
    need no look-ups of their own. (The houses people are registered in are read, not locked.)"""
    locked_codes, codes = set(), set()
    ctx.indexes = {}
    for raw in raw_records:
        data = raw.get("data") if isinstance(raw, dict) else None
        if not isinstance(data, dict):
            continue
        if raw.get("type") == "person" and isinstance(data.get("id_number"), str):
            with contextlib.suppress(idnumber.IdNumberError):
                number = idnumber.parse(data["id_number"], ctx.today).number
                ctx.indexes[data["id_number"]] = ctx.vault.index(number, "id_number")
            if isinstance(data.get("house_code"), str):
                codes.add(data["house_code"])
        elif raw.get("type") == "house" and isinstance(data.get("code"), str):
            locked_codes.add(data["code"])
    indexes = set(ctx.indexes.values())
    ctx.persons = {
        p.id_index: p
        for p in db.session.scalars(
            select(Person).where(Person.id_index.in_(indexes)).order_by(Person.id).with_for_update()
        )
    }
    ctx.absent = indexes - set(ctx.persons)
    ctx.houses = {
        h.code: h
        for h in db.session.scalars(
            select(House).where(House.code.in_(locked_codes)).order_by(House.id).with_for_update()
        )
    }
    ctx.homes = {
        h.code: h
        for h in db.session.execute(
            select(*HOME_COLUMNS).where(House.code.in_(codes - locked_codes))
        )
    }


def _locate(ctx: WriteContext, raw_records: list) -> None:
    locations, positions = [], []
    for raw in raw_records:
        if not isinstance(raw, dict):
            continue
        positions.append(raw.get("position"))
        data = raw.get("data")
        if raw.get("type") == "house" and isinstance(data, dict):
            locations.append(data.get("location"))
    locate(ctx, locations, positions)


@dataclass
class Batch:
    rows: list  # audit, change and outcome rows, written together when the batch ends
    stored: dict[UUID, SyncRecord]  # outcomes stored by earlier uploads
    window: tuple[datetime, datetime]  # the capture times a record may have (_capture_window)
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

    def write(self, ctx: WriteContext) -> None:
        """Write the new records planned so far, all at once. Any other record calls this
        first, so it sees every record before it. A unique violation here (another upload
        wrote the same person or building meanwhile) reruns the batch."""
        for kind, pending in self.new.items():
            if not pending:
                continue
            outcomes = CREATORS[kind](ctx, [new for _, _, new, _ in pending])
            for (env, digest, _, result), outcome in zip(pending, outcomes, strict=True):
                result.update(outcome.as_dict())
                self.rows.append(_stored_outcome(ctx, env, digest, result))
            pending.clear()


def _uuid(raw) -> UUID | None:
    with contextlib.suppress(TypeError, ValueError, AttributeError):
        return UUID(raw.get("uuid"))
    return None


def _stored(raw_records: list) -> dict[UUID, SyncRecord]:
    uuids = {uuid for uuid in map(_uuid, raw_records) if uuid is not None}
    found = db.session.scalars(select(SyncRecord).where(SyncRecord.uuid.in_(uuids)))
    return {record.uuid: record for record in found}


def _one(ctx: WriteContext, raw: dict, batch: Batch) -> dict:
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
        mine = stored.user_id == ctx.principal.user_id
        stored_digest = bytes(stored.content_hash) if mine else None
        return _replay(env["uuid"], stored_digest, stored.result, digest)
    if (earlier := batch.done.get(env["uuid"])) is not None:
        batch.write(ctx)  # its result is complete once written
        return _replay(env["uuid"], *earlier, digest)
    if (outside := _outside_window(env, batch.window)) is not None:
        return _keep(ctx, env, digest, Outcome.refused(outside), batch)
    if env["type"] == "person" and batch.new["house"]:
        batch.write(ctx)  # a person may live in a house this batch is recording
    try:
        flags = geofence(ctx, env["position"])
        new = PLANNERS[env["type"]](ctx, env) if env["op"] == "upsert" else None
    except GridgovError as e:
        return _keep(ctx, env, digest, Outcome.refused(e), batch)
    if new is not None:
        new.flags = sorted(set(new.flags) | set(flags))
        return batch.later(env, digest, new)
    batch.write(ctx)
    rows, mark = batch.rows, len(batch.rows)
    try:
        try:
            with db.session.begin_nested():
                outcome = _apply(ctx, env, flags)
            return _keep(ctx, env, digest, outcome, batch)
        except GridgovError as e:
            refused = Outcome.refused(e)
        except Stale as e:
            refused, current_version = None, e.current_version
        # The record's writes were undone with its savepoint; keep the refusal or the conflict.
        del rows[mark:]
        with db.session.begin_nested():
            outcome = refused or _conflict(ctx, env, current_version)
        return _keep(ctx, env, digest, outcome, batch)
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


# How far a device's clock may run ahead of the server's.
CLOCK_SKEW = timedelta(days=1)


def _capture_window(keep_days: int) -> tuple[datetime, datetime]:
    """(earliest, latest) capture time an upload accepts. A record's first upload came at most
    CLOCK_SKEW before its capture time, so one captured after the earliest cannot have had its
    outcome pruned: the earliest is the kept window, and never before the last prune's cutoff
    plus the skew (the window may have been shorter then)."""
    now = datetime.now(UTC)
    pruned = db.session.scalar(
        select(
            func.max(AuditEvent.after["created_before"].astext.cast(DateTime(timezone=True)))
        ).where(AuditEvent.action == "prune_outcomes")
    )
    earliest = now - timedelta(days=keep_days)
    if pruned is not None:
        earliest = max(earliest, pruned + CLOCK_SKEW)
    return earliest, now + CLOCK_SKEW


def _outside_window(env: dict, window: tuple[datetime, datetime]) -> ValidationFailed | None:
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
    transaction; how many. Each chunk's audit row keeps the cutoff, which uploads then respect
    (_capture_window) even if the window is later made longer."""
    cutoff = datetime.now(UTC) - timedelta(days=keep_days) - CLOCK_SKEW
    total = 0
    while True:
        old = select(SyncRecord.uuid).where(SyncRecord.created_at < cutoff).limit(chunk)
        deleted = db.session.execute(delete(SyncRecord).where(SyncRecord.uuid.in_(old))).rowcount
        if deleted:
            after = {"rows": deleted, "created_before": cutoff.isoformat()}
            record("prune_outcomes", "sync_records", None, after=after)
        db.session.commit()
        total += deleted
        if deleted < chunk:
            return total


def _fresh(uuid: UUID) -> SyncRecord | None:
    """The stored outcome of a UUID as committed now (not as this session last saw it)."""
    return db.session.get(SyncRecord, uuid, populate_existing=True)


def _apply(ctx: WriteContext, env: dict, flags: list[str]) -> Outcome:
    outcome = HANDLERS[(env["type"], env["op"])](ctx, env)
    outcome.flags = sorted(set(outcome.flags) | set(flags))
    return outcome


def _keep(ctx: WriteContext, env: dict, digest: bytes, outcome: Outcome, batch: Batch) -> dict:
    """Store the outcome under the record's UUID, in the same transaction as its writes."""
    result = {"uuid": str(env["uuid"]), **outcome.as_dict()}
    batch.done[env["uuid"]] = (digest, result)
    batch.rows.append(_stored_outcome(ctx, env, digest, result))
    return result


def _stored_outcome(ctx: WriteContext, env: dict, digest: bytes, result: dict) -> tuple:
    """The row that keeps a record's outcome under its UUID (for rows_together)."""
    values = {
        "uuid": env["uuid"],
        "user_id": ctx.principal.user_id,
        "device_id": ctx.device_id,
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


def _conflict(ctx: WriteContext, env: dict, current_version: int) -> Outcome:
    key, grid, fields = CONFLICT_FIELDS[env["type"]](ctx, env)
    conflict = Conflict(
        record_type=env["type"],
        op=env["op"],
        captured_at=env["captured_at"],
        record_key=key,
        grid_code=grid,
        client_uuid=env["uuid"],
        base_version=env.get("base_version") or 0,
        server_version=current_version,
        fields=fields,
        theirs_sealed=ctx.vault.seal(json.dumps(env["data"], ensure_ascii=False), "sync.conflict"),
    )
    db.session.add(conflict)
    db.session.flush()
    record(
        "conflict",
        env["type"],
        key,
        actor_id=ctx.principal.user_id,
        device_id=ctx.device_id,
        after={"conflict": conflict.id, "fields": [f["field"] for f in fields]},
    )
    return Outcome(
        "conflict",
        409,
        key=key,
        version=current_version,
        conflict_id=conflict.id,
        code="stale_version",
        detail=(
            f"Edited from version {env['base_version']}, the record is at version "
            f"{current_version}; desk staff will resolve it."
            if env.get("base_version")
            else f"This {env['type']} is registered already (version {current_version}); "
            "desk staff will resolve it."
        ),
    )


def list_conflicts(principal: Principal, status: str) -> list[Conflict]:
    return list(
        db.session.scalars(
            select(Conflict)
            .where(Conflict.status == status, inside(principal, Conflict.grid_code))
            .order_by(Conflict.id)
        )
    )


def resolve(ctx: WriteContext, conflict_id: int, choice: str) -> dict:
    """Keep the stored record ('ours') or apply the device's version on top of it ('theirs')."""
    conflict = db.session.scalar(
        select(Conflict)
        .where(Conflict.id == conflict_id, inside(ctx.principal, Conflict.grid_code))
        .with_for_update()
    )
    if conflict is None:
        raise NotFound(f"No conflict {conflict_id} in your scope.", code="unknown_conflict")
    if conflict.status != "open":
        raise ValidationFailed.field("conflict", f"is already {conflict.status}")
    result = {"conflict": conflict.id, "choice": choice}
    if choice == "theirs":
        data = json.loads(ctx.vault.open(conflict.theirs_sealed, "sync.conflict"))
        env = {
            "uuid": conflict.client_uuid,
            "type": conflict.record_type,
            "op": conflict.op,
            "data": data,
            "captured_at": conflict.captured_at or conflict.created_at,
            "position": None,
        }
        current = _current_version(conflict)
        env["base_version"] = current
        outcome = HANDLERS[(conflict.record_type, conflict.op)](ctx, env)
        result.update(outcome=outcome.outcome, version=outcome.version)
    conflict.status, conflict.resolved_by = "resolved", ctx.principal.user_id
    conflict.resolved_at = db.func.now()
    record(
        "resolve_conflict",
        conflict.record_type,
        conflict.record_key,
        actor_id=ctx.principal.user_id,
        after=result,
    )
    db.session.commit()
    return result


def _current_version(conflict: Conflict) -> int:
    if conflict.record_type == "house":
        return db.session.scalar(select(House.version).where(House.code == conflict.record_key))
    return db.session.scalar(select(Person.version).where(Person.id == int(conflict.record_key)))


_HORIZON = text("SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")


def changes(principal: Principal, cursor: str | None, limit: int) -> dict:
    """Changes in the caller's grid cells since the cursor, oldest first, with tombstones.

    The cursor is "txid.seq.horizon": everything from transactions below `horizon` up to
    (txid, seq) has been served. Only transactions older than every one still running are
    served, so a change can never appear behind a cursor that has already passed it."""
    low_txid, low_seq, horizon = _parse_cursor(cursor)
    if low_txid >= horizon:
        horizon = db.session.execute(_HORIZON).scalar()
    rows = db.session.scalars(
        select(Change)
        .where(
            inside(principal, Change.grid_code),
            Change.txid < horizon,
            (Change.txid > low_txid) | ((Change.txid == low_txid) & (Change.seq > low_seq)),
        )
        .order_by(Change.txid, Change.seq)
        .limit(limit)
    ).all()
    records = _current_records(principal, rows)
    items = [_change_item(c, records) for c in rows]
    if len(rows) == limit:
        last = rows[-1]
        next_cursor, more = f"{last.txid}.{last.seq}.{horizon}", True
    else:
        next_cursor, more = f"{horizon}.0.{horizon}", False
    return {"changes": items, "cursor": next_cursor, "more": more}


def _parse_cursor(cursor: str | None) -> tuple[int, int, int]:
    if not cursor:
        return 0, 0, 0
    parts = cursor.split(".")
    # At most 18 ASCII digits each: a transaction id or sequence number, never beyond a bigint.
    if len(parts) != 3 or not all(re.fullmatch("[0-9]{1,18}", p) for p in parts):
        raise ValidationFailed.field(
            "cursor", "is not a cursor this server gave out", location="query"
        )
    txid, seq, horizon = (int(p) for p in parts)
    return txid, seq, horizon


def _current_records(principal: Principal, rows: list[Change]) -> dict[tuple[str, str], dict]:
    """The records the page's upserts point to, as the caller may see them now: two queries."""
    keys = {"house": set(), "person": set()}
    for change in rows:
        if change.op == "upsert":
            keys[change.record_type].add(change.record_key)
    found = {("house", k): v for k, v in houses.views_by_code(principal, keys["house"]).items()}
    people_now = people.views_by_id(principal, {int(k) for k in keys["person"]})
    found.update((("person", str(k)), v) for k, v in people_now.items())
    return found


def _change_item(change: Change, records: dict[tuple[str, str], dict]) -> dict:
    item = {
        "seq": change.seq,
        "type": change.record_type,
        "key": change.record_key,
        "grid": change.grid_code,
        "op": change.op,
    }
    if change.op == "upsert":
        item["record"] = records.get((change.record_type, change.record_key))
        if item["record"] is None:  # changed again since, and now out of scope or deleted
            item["op"] = "left"
            del item["record"]
    return item
