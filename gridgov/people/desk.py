"""Transfer requests at the desk: staff of the side a person is recorded in, or of the street
they moved into, list the open requests and accept (the person moves, dated when the device saw
them there) or refuse them with a reason. Every decision is audited."""

import re

from sqlalchemy import func, or_, select

from gridgov.accounts.models import User
from gridgov.audit.service import record
from gridgov.errors import Conflict, NotFound, ValidationFailed
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people import service
from gridgov.people.models import Person, TransferRequest
from gridgov.people.views import view
from gridgov.records.writer import Writer
from gridgov.scope import Principal, covers, inside

STATUSES = ("open", "accepted", "refused")


def _visible(principal: Principal):
    """Requests whose new house, or whose person's current cell, lies in the caller's areas."""
    return (
        select(TransferRequest, House.code, House.grid_code, Person, User.username)
        .join(House, House.id == TransferRequest.house_id)
        .join(User, User.id == TransferRequest.requested_by)
        .outerjoin(Person, Person.id == TransferRequest.person_id)
        .where(or_(inside(principal, House.grid_code), inside(principal, Person.grid_code)))
    )


def _item(principal: Principal, row) -> dict:
    transfer, code, grid, person, requester = row
    # The record itself only to staff of the side it lies in; the receiving side sees what the
    # device sent.
    mine = person is not None and person.deleted_at is None and covers(principal, person.grid_code)
    return {
        "id": transfer.id,
        "status": transfer.status,
        "requested_at": transfer.requested_at.isoformat(),
        "requested_by": requester,
        "device_id": transfer.device_id,
        "id_number": transfer.id_masked,
        "house": code,
        "grid": grid,
        "moved_in": transfer.moved_in.isoformat(),
        "person": view(person) if mine else None,
        "reason": transfer.reason,
        "decided_at": transfer.decided_at.isoformat() if transfer.decided_at else None,
    }


def list_transfers(principal: Principal, status: str) -> list[dict]:
    rows = db.session.execute(
        _visible(principal).where(TransferRequest.status == status).order_by(TransferRequest.id)
    ).all()
    return [_item(principal, row) for row in rows]


def decide(w: Writer, transfer_id: int, decision: str, reason: str) -> dict:
    """Accept or refuse an open request in the caller's areas (either side)."""
    reason = reason.strip()
    if decision == "refuse" and len(re.findall(r"\w", reason)) < 2:
        raise ValidationFailed.field("reason", "a refusal says why, in at least 2 characters")
    row = db.session.execute(
        _visible(w.principal)
        .where(TransferRequest.id == transfer_id)
        .with_for_update(of=TransferRequest)
    ).one_or_none()
    if row is None:
        raise NotFound(f"No transfer request {transfer_id} in your scope.", code="unknown_transfer")
    transfer = row[0]
    if transfer.status != "open":
        raise Conflict(f"Transfer request {transfer_id} is {transfer.status}.", code="decided")
    outcome = None
    if decision == "accept":
        person = transfer.person_id and db.session.get(
            Person, transfer.person_id, with_for_update=True
        )
        if not person or person.deleted_at is not None:
            raise Conflict(
                "Nobody with this ID number is on record: refuse it and register them instead.",
                code="not_on_record",
            )
        house = db.session.get(House, transfer.house_id)
        outcome = service.relocate(w, person, house, transfer.moved_in).as_dict()
    transfer.status = "accepted" if decision == "accept" else "refused"
    transfer.decided_by, transfer.decided_at = w.principal.user_id, func.now()
    transfer.reason = reason or None
    record(
        "decide_transfer",
        "transfer",
        str(transfer.id),
        actor_id=w.principal.user_id,
        after={"decision": transfer.status, "reason": transfer.reason},
    )
    db.session.commit()
    return {"transfer": transfer.id, "status": transfer.status, "person": outcome}
