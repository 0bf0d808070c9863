"""Conflicts: an edit made from an old version, filed for desk staff to resolve, and resolved by
keeping the stored record or applying the device's edit on top of it."""

import json

from sqlalchemy import select
from sqlalchemy.orm import aliased

from gridgov.accounts.models import User
from gridgov.audit.service import record
from gridgov.errors import NotFound, ValidationFailed
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people.models import Person
from gridgov.records.outcome import Outcome, Stale
from gridgov.records.writer import Writer
from gridgov.scope import Principal, inside
from gridgov.sync import handlers
from gridgov.sync.models import Conflict


def file_conflict(w: Writer, env: dict, stale: Stale) -> Outcome:
    """File a stale edit as a conflict, with what the write that found it stale worked out."""
    key, grid, fields, current_version = (
        stale.key,
        stale.grid_code,
        stale.fields,
        stale.current_version,
    )
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
        theirs_sealed=w.vault.seal(json.dumps(env["data"], ensure_ascii=False), "sync.conflict"),
        sent_by=w.principal.user_id,
        device_id=w.device_id,
    )
    db.session.add(conflict)
    db.session.flush()
    record(
        "conflict",
        env["type"],
        key,
        actor_id=w.principal.user_id,
        device_id=w.device_id,
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


def list_conflicts(principal: Principal, status: str) -> list[dict]:
    """Conflicts in the principal's areas with that status, oldest first: both sides of each
    field (personal values masked), who sent the edit from which device and when, and for a
    resolved one who chose which side."""
    sender, resolver = aliased(User), aliased(User)
    rows = db.session.execute(
        select(Conflict, sender.username, resolver.username)
        .outerjoin(sender, sender.id == Conflict.sent_by)
        .outerjoin(resolver, resolver.id == Conflict.resolved_by)
        .where(Conflict.status == status, inside(principal, Conflict.grid_code))
        .order_by(Conflict.id)
    )
    return [
        {
            "id": c.id,
            "record_type": c.record_type,
            "op": c.op,
            "record_key": c.record_key,
            "grid_code": c.grid_code,
            "base_version": c.base_version,
            "server_version": c.server_version,
            "fields": c.fields,
            "status": c.status,
            "sent": {
                "by": {"id": c.sent_by, "username": sent_by} if c.sent_by else None,
                "device_id": c.device_id,
                "captured_at": c.captured_at,
                "received_at": c.created_at,
            },
            "resolved": (
                {
                    "by": {"id": c.resolved_by, "username": resolved_by},
                    "choice": c.choice,
                    "at": c.resolved_at,
                }
                if c.status == "resolved"
                else None
            ),
            "created_at": c.created_at,
        }
        for c, sent_by, resolved_by in rows
    ]


def resolve(w: Writer, conflict_id: int, choice: str) -> dict:
    """Keep the stored record ('ours') or apply the device's version on top of it ('theirs')."""
    conflict = db.session.scalar(
        select(Conflict)
        .where(Conflict.id == conflict_id, inside(w.principal, Conflict.grid_code))
        .with_for_update()
    )
    if conflict is None:
        raise NotFound(f"No conflict {conflict_id} in your scope.", code="unknown_conflict")
    if conflict.status != "open":
        raise ValidationFailed.field("conflict", f"is already {conflict.status}")
    result = {"conflict": conflict.id, "choice": choice}
    if choice == "theirs":
        data = json.loads(w.vault.open(conflict.theirs_sealed, "sync.conflict"))
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
        outcome = handlers.apply(w, env, handlers.Prefetched())
        result.update(outcome=outcome.outcome, version=outcome.version)
    conflict.status, conflict.resolved_by = "resolved", w.principal.user_id
    conflict.choice = choice
    conflict.resolved_at = db.func.now()
    record(
        "resolve_conflict",
        conflict.record_type,
        conflict.record_key,
        actor_id=w.principal.user_id,
        after=result,
    )
    db.session.commit()
    return result


def _current_version(conflict: Conflict) -> int:
    if conflict.record_type == "house":
        return db.session.scalar(select(House.version).where(House.code == conflict.record_key))
    return db.session.scalar(select(Person.version).where(Person.id == int(conflict.record_key)))
