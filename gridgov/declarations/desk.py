"""The street desk: the review queue of the caller's areas (scope inside the query), a
declaration's review (audited), and decisions. Approval writes the record through the same
person service as a sync upload, so audit, change feed and statistics follow."""

import json
import re

from sqlalchemy import select

from gridgov.audit.service import record
from gridgov.declarations import current, states, triage, visiting
from gridgov.declarations.guard import at_address
from gridgov.declarations.models import OPEN_STATES, Declaration, DeclarationEvent
from gridgov.declarations.submit import public_view
from gridgov.errors import Conflict, GridgovError, NotFound, ValidationFailed
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people import service as people
from gridgov.people.models import Person
from gridgov.people.views import view
from gridgov.records.writer import Writer
from gridgov.scope import Principal, covers, inside

# Whose record changed since triage: its version now differs from the one triage saw.
CURRENT_VERSION = (
    select(Person.version).where(Person.id_index == Declaration.id_index).scalar_subquery()
)


def unknown(decl_id: int) -> NotFound:
    """Nobody's and another street's declaration alike."""
    return NotFound(f"No declaration {decl_id} in your areas.", code="unknown_declaration")


def _visible(principal: Principal):
    return select(Declaration, CURRENT_VERSION.label("now")).where(
        inside(principal, Declaration.area_code)
    )


def _stale(decl: Declaration, now: int | None) -> bool:
    return decl.state in OPEN_STATES and (now or 0) != (decl.record_version or 0)


def item(decl: Declaration, now: int | None) -> dict:
    return {
        "id": decl.id,
        **public_view(decl),
        "state": decl.state,
        "house": decl.house_code,
        "area": decl.area_code,
        "rule": {"name": decl.rule_name, "version": decl.rules_version},
        "diff": decl.diff or [],
        "flags": decl.flags,
        "stale": _stale(decl, now),
        "record_version": decl.record_version,
        "current_version": now,
        "submitted_at": decl.submitted_at.isoformat(),
        "decided_at": decl.decided_at.isoformat() if decl.decided_at else None,
        "reason": decl.reason,
    }


# What a queue item shows: columns, not entities (no sealed body read for a list).
QUEUE_COLUMNS = (
    Declaration.id,
    Declaration.reference,
    Declaration.state,
    Declaration.route,
    Declaration.rule_name,
    Declaration.rules_version,
    Declaration.kind,
    Declaration.id_masked,
    Declaration.name_masked,
    Declaration.house_code,
    Declaration.area_code,
    Declaration.diff,
    Declaration.flags,
    Declaration.record_version,
    Declaration.submitted_at,
    Declaration.decided_at,
    Declaration.reason,
)


def queue(principal: Principal, state, route, prefix: str, after, limit: int) -> dict:
    """Declarations in the caller's areas (below `prefix`), oldest first; open ones by default."""
    stmt = (
        select(*QUEUE_COLUMNS, CURRENT_VERSION.label("now"))
        .where(inside(principal, Declaration.area_code))
        .order_by(Declaration.id)
        .limit(limit)
    )
    if state:
        stmt = stmt.where(Declaration.state == state)
    else:
        stmt = stmt.where(Declaration.decided_at.is_(None), Declaration.state.in_(OPEN_STATES))
    if route:
        stmt = stmt.where(Declaration.route == route)
    if prefix:
        stmt = stmt.where(Declaration.area_code.like(prefix + "%"))
    if after:
        stmt = stmt.where(Declaration.id > after)
    items = [item(row, row.now) for row in db.session.execute(stmt)]
    return {"declarations": items, "next": items[-1]["id"] if len(items) == limit else None}


def review(principal: Principal, decl_id: int) -> dict:
    """A declaration with its difference, the record as it stands (if it lies in the caller's
    areas) and its history; the disclosure is audited."""
    row = db.session.execute(_visible(principal).where(Declaration.id == decl_id)).one_or_none()
    if row is None:
        raise unknown(decl_id)
    decl, now = row
    person = db.session.scalar(select(Person).where(Person.id_index == decl.id_index))
    shown = person is not None and person.deleted_at is None and covers(principal, person.grid_code)
    events = db.session.scalars(
        select(DeclarationEvent)
        .where(DeclarationEvent.declaration_id == decl.id)
        .order_by(DeclarationEvent.id)
    )
    record(
        "review_declaration",
        "declaration",
        decl.reference,
        actor_id=principal.user_id,
        after={"person": person.id if shown else None},
    )
    db.session.commit()
    return {
        **item(decl, now),
        "record": view(person) if shown else None,
        "events": [
            {
                "from": e.from_state,
                "state": e.to_state,
                "at": e.at.isoformat(),
                "by": e.actor_id,
                "reason": e.reason,
            }
            for e in events
        ],
    }


def _locked(w: Writer, decl_id: int) -> tuple[Declaration, int | None]:
    row = db.session.execute(
        _visible(w.principal).where(Declaration.id == decl_id).with_for_update(of=Declaration)
    ).one_or_none()
    if row is None:
        raise unknown(decl_id)
    decl, now = row
    if decl.state not in OPEN_STATES or decl.decided_at is not None:
        raise Conflict(f"Declaration {decl.reference} is {decl.state}.", code="decided")
    return decl, now


def _house(w: Writer, decl: Declaration, body: dict) -> House:
    """The declaration's house; one declared by an address is looked up again (a grid worker
    may have registered it since)."""
    if decl.house_id is not None:
        return db.session.get(House, decl.house_id)
    at = at_address(decl.community_code, body["address"])
    house = db.session.scalar(select(House).where(*at))
    if house is None:
        raise Conflict(
            "The declared house is not on record: a grid worker registers it first.",
            code="house_not_on_record",
        )
    decl.house_id, decl.house_code = house.id, house.code
    decl.grid_code = decl.area_code = house.grid_code
    return house


def approve(w: Writer, decl: Declaration, reason: str, confirm_stale: bool = False) -> dict:
    """Write the declared person through the person service, as an upload of the same record
    would; a record changed since triage is not overwritten unless the reviewer confirms."""
    body = json.loads(w.vault.open(decl.body_sealed, "declaration.body"))
    house = _house(w, decl, body)
    person = people.locked(decl.id_index)
    now = person.version if person is not None else None
    if now != decl.record_version and not confirm_stale:
        raise Conflict(
            f"The record changed since triage (version {decl.record_version} then, {now} now): "
            "review it and approve with confirm_stale.",
            code="stale",
            errors=[
                {
                    "field": "confirm_stale",
                    "in": "body",
                    "message": f"record version at triage {decl.record_version}, now {now}",
                }
            ],
        )
    alive = person if person is not None and person.deleted_at is None else None
    raw = triage.over_record(
        triage.record_of(body["person"], body.get("floating"), house.code), alive
    )
    stored = alive if alive is not None and w.covers(alive.grid_code) else None
    rec = people.prepare(w, raw, {house.code: house}, stored=stored)
    outcome = people.upsert(w, rec, person, now, w.today)
    decl.person_id = (
        int(outcome.key)
        if outcome.key and outcome.outcome != "transfer_requested"
        else decl.person_id
    )
    if now != decl.record_version:
        decl.flags = [*decl.flags, "approved_stale"]
    states.move(decl, "approved", w.principal.user_id, reason or None, current().keep_days)
    return outcome.as_dict()


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(re.findall(r"\w", reason)) < 2:
        raise ValidationFailed.field("reason", "a rejection says why, in at least 2 characters")
    return reason


def _decide(w: Writer, decl_id: int, decision: str, reason: str, confirm_stale: bool) -> dict:
    decl, _ = _locked(w, decl_id)
    actor = w.principal.user_id
    outcome = None
    if decision == "reject":
        reason = _reason(reason)
        visiting.withdraw(decl, actor, reason)
        decl.reason = reason
        states.move(decl, "rejected", actor, reason, current().keep_days)
    elif decision == "visit":
        if decl.state == "visiting":
            raise Conflict(f"Declaration {decl.reference} is being visited.", code="visiting")
        _house(w, decl, json.loads(w.vault.open(decl.body_sealed, "declaration.body")))
        visiting.send(w, decl, reason.strip() or "窗口派发上门核查", actor)
    else:
        visiting.withdraw(decl, actor, reason.strip() or "窗口已审批")
        outcome = approve(w, decl, reason.strip(), confirm_stale)
    record(
        "decide_declaration",
        "declaration",
        decl.reference,
        actor_id=actor,
        after={
            "decision": decision,
            "state": decl.state,
            "reason": reason or None,
            "person": outcome,
        },
    )
    return {"id": decl.id, "reference": decl.reference, "state": decl.state, "record": outcome}


def decide(w: Writer, decl_id: int, decision: str, reason: str, confirm_stale=False) -> dict:
    """Approve, reject (with a reason the resident reads) or send a door visit."""
    out = _decide(w, decl_id, decision, reason, confirm_stale)
    db.session.commit()
    return out


def decide_many(w: Writer, ids: list[int]) -> dict:
    """Approve desk-check declarations the reviewer has read: each all or nothing, one outcome
    per id (a refused one leaves the others approved)."""
    results = []
    for decl_id in dict.fromkeys(ids):
        savepoint = db.session.begin_nested()
        try:
            route = db.session.scalar(
                select(Declaration.route).where(
                    Declaration.id == decl_id, inside(w.principal, Declaration.area_code)
                )
            )
            if route is None:
                raise unknown(decl_id)
            if route != "desk":
                raise Conflict(
                    "Only desk-check declarations are approved in bulk.", code="not_desk_route"
                )
            results.append(
                {"id": decl_id, "status": 200, **_decide(w, decl_id, "approve", "", False)}
            )
            savepoint.commit()
        except GridgovError as e:
            savepoint.rollback()
            results.append({"id": decl_id, "status": e.status, "code": e.code, "detail": e.detail})
    db.session.commit()
    return {"results": results, "approved": sum(r["status"] == 200 for r in results)}
