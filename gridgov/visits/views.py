"""Door-visit tasks as a scoped reader sees them: a device of the task's cell, or the staff of
its street or district. Outside the caller's areas a task reads as absent."""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import aliased

from gridgov.accounts.models import User
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.houses.views import point
from gridgov.scope import Principal, below, inside
from gridgov.visits import subjects
from gridgov.visits.models import VisitResult, VisitTask
from gridgov.visits.service import unknown_task

_issuer = aliased(User)


def _rows():
    return (
        select(VisitTask, House, _issuer.username)
        .join(House, House.id == VisitTask.house_id)
        .outerjoin(_issuer, _issuer.id == VisitTask.issued_by)
    )


def _iso(value):
    return value.isoformat() if value is not None else None


def view(task: VisitTask, house: House, issuer: str | None, subject=None) -> dict:
    return {
        "id": task.id,
        "house": house.code,
        "grid": task.grid_code,
        "address": {
            "compound": house.compound,
            "building": house.building,
            "unit": house.unit,
            "floor": house.floor,
            "room": house.room,
        },
        "location": point(house.geom) if house.geom is not None else None,
        "subject_type": task.subject_type,
        "subject_id": task.subject_id,
        "subject": subject,
        "reason": task.reason,
        "state": task.state,
        "issued_at": _iso(task.issued_at),
        "issued_by": issuer,
        "done_at": _iso(task.done_at),
        "withdrawn_at": _iso(task.withdrawn_at),
        "withdrawn_reason": task.withdrawn_reason,
    }


def result_view(result: VisitResult, uploader: str) -> dict:
    return {
        "id": result.id,
        "result": result.result,
        "proof_ok": result.proof_ok,
        "proof_faults": list(result.proof_faults or []),
        "distance_m": None if result.distance_m is None else round(result.distance_m, 1),
        "captured_at": _iso(result.captured_at),
        "received_at": _iso(result.received_at),
        "uploaded_by": uploader,
        "device_id": result.device_id,
        "corrected": result.corrected,  # personal values masked
        "note": result.note,
    }


def _views(principal: Principal, rows) -> list[dict]:
    by_type: dict[str, set[int]] = {}
    for task, _, _ in rows:
        by_type.setdefault(task.subject_type, set()).add(task.subject_id)
    described = {t: subjects.describe(principal, t, ids) for t, ids in by_type.items()}
    return [
        view(task, house, issuer, described[task.subject_type].get(task.subject_id))
        for task, house, issuer in rows
    ]


def views_by_id(principal: Principal, ids: set[int], open_only: bool = False) -> dict[int, dict]:
    """The tasks named, as the caller may see them now (the change feed's records: open ones)."""
    if not ids:
        return {}
    stmt = _rows().where(VisitTask.id.in_(ids), inside(principal, VisitTask.grid_code))
    if open_only:
        stmt = stmt.where(VisitTask.state == "open")
    return {item["id"]: item for item in _views(principal, db.session.execute(stmt).all())}


def open_tasks(principal: Principal) -> list[dict]:
    """Every open task of the caller's cells (a device's first sync; they are few per cell)."""
    stmt = _rows().where(inside(principal, VisitTask.grid_code), VisitTask.state == "open")
    return _views(principal, db.session.execute(stmt.order_by(VisitTask.id)).all())


def get_task(principal: Principal, task_id: int) -> dict:
    """One task with every result uploaded for it."""
    row = db.session.execute(
        _rows().where(VisitTask.id == task_id, inside(principal, VisitTask.grid_code))
    ).one_or_none()
    if row is None:
        raise unknown_task(task_id)
    [item] = _views(principal, [row])
    results = db.session.execute(
        select(VisitResult, User.username)
        .join(User, User.id == VisitResult.uploaded_by)
        .where(VisitResult.task_id == task_id)
        .order_by(VisitResult.id)
    ).all()
    item["results"] = [result_view(r, who) for r, who in results]
    return item


def list_tasks(
    principal: Principal, prefix: str | None, state: str | None, after: int | None, limit: int
) -> list[dict]:
    """Tasks of the caller's areas (below `prefix` when given), by id: the supervision list."""
    stmt = _rows().where(inside(principal, VisitTask.grid_code))
    if prefix is not None:
        stmt = stmt.where(below(VisitTask.grid_code, prefix))
    if state is not None:
        stmt = stmt.where(VisitTask.state == state)
    if after is not None:
        stmt = stmt.where(VisitTask.id > after)
    rows = db.session.execute(stmt.order_by(VisitTask.id).limit(limit)).all()
    items = _views(principal, rows)
    last = _last_results({item["id"] for item in items})
    for item in items:
        item["results"] = last.get(item["id"], [])
    return items


def _last_results(task_ids: set[int]) -> dict[int, list[dict]]:
    """The latest result of each task, for the list."""
    if not task_ids:
        return {}
    rows = db.session.execute(
        select(VisitResult, User.username)
        .join(User, User.id == VisitResult.uploaded_by)
        .where(VisitResult.task_id.in_(task_ids))
        .ext(distinct_on(VisitResult.task_id))
        .order_by(VisitResult.task_id, VisitResult.id.desc())
    ).all()
    return {r.task_id: [result_view(r, who)] for r, who in rows}
