"""Issuing and withdrawing door-visit tasks. Neither commits: a task is issued or withdrawn in
the transaction of the use case that decided it (a desk decision, a household's triage, POST
/visits), or in the one statement that writes a declaration triage sends to the door (ISSUED)."""

import re

from sqlalchemy import func, select, text

from gridgov.audit.service import record
from gridgov.errors import Conflict, NotFound, ValidationFailed
from gridgov.extensions import db
from gridgov.feed import note
from gridgov.houses.models import House
from gridgov.records.writer import Writer, house_not_found
from gridgov.visits import subjects
from gridgov.visits.models import VisitTask

FEED_TYPE = "visit"


def checked_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if len(re.findall(r"\w", reason)) < 2:
        raise ValidationFailed.field(field, "says why, in at least 2 letters or characters")
    return reason


def unknown_task(task_id: int) -> NotFound:
    """The answer for a task nobody has and for one outside the caller's areas alike."""
    return NotFound(f"No visit task {task_id} in your scope.", code="unknown_visit")


# What issuing a door visit writes: the task, the change its cell's devices hear of it by, and
# the audit row. SQL parts of a WITH, reading a relation named `visit` (task_id, house_id,
# grid_code, house_code, subject_type, subject_id, reason, issued_by): `issue` runs them alone,
# and a declaration triaged to the door runs them in the statement that writes it
# (gridgov.declarations.staging), which gives the task's id beforehand (NEXT_TASK).
ISSUED = f"""
task AS (
  INSERT INTO visit_tasks (id, house_id, grid_code, subject_type, subject_id, reason, issued_by)
  SELECT task_id, house_id, grid_code, subject_type, subject_id, reason, issued_by FROM visit),
heard AS (
  INSERT INTO changes (grid_code, record_type, record_key, op)
  SELECT grid_code, '{FEED_TYPE}', task_id::text, 'upsert' FROM visit),
issued AS (
  INSERT INTO audit_events (actor_id, action, entity_type, entity_key, after)
  SELECT issued_by, 'issue_visit', 'visit', task_id::text, jsonb_build_object(
    'house', house_code, 'grid', grid_code, 'subject_type', subject_type,
    'subject_id', subject_id, 'reason', reason)
  FROM visit)"""
NEXT_TASK = "nextval(pg_get_serial_sequence('visit_tasks', 'id'))"
# One visit's values; referenced three times, so evaluated once (nextval included).
_ISSUE = text(
    f"""
WITH visit AS (
  SELECT {NEXT_TASK} AS task_id, CAST(:house_id AS bigint) AS house_id,
    CAST(:grid_code AS varchar) AS grid_code, CAST(:house_code AS varchar) AS house_code,
    CAST(:subject_type AS varchar) AS subject_type, CAST(:subject_id AS bigint) AS subject_id,
    CAST(:reason AS varchar) AS reason, CAST(:issued_by AS integer) AS issued_by),
{ISSUED}
SELECT task_id FROM visit"""
)


def issue(w: Writer, house_id: int, subject_type: str, subject_id: int, reason: str) -> int:
    """Send a door visit to the grid cell the house lies in now; the cell's devices hear of it
    through the change feed. The house must lie in the writer's areas (an admin's or a rule's
    writer covers all)."""
    if not subjects.known(subject_type):
        raise ValueError(f"no subject type {subject_type!r} is registered")
    reason = checked_reason(reason)
    house = db.session.get(House, house_id)
    if house is None or house.deleted_at is not None or not w.covers(house.grid_code):
        raise NotFound(f"No house {house_id} in your scope.", code="unknown_house")
    return db.session.execute(
        _ISSUE,
        {
            "house_id": house.id,
            "grid_code": house.grid_code,
            "house_code": house.code,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "reason": reason,
            "issued_by": w.principal.user_id,
        },
    ).scalar_one()


def withdraw(task_id: int, actor_id: int | None, reason: str) -> None:
    """Withdraw an open task (no scope check: the caller decided it may). Devices of its cell
    drop it (a tombstone in the feed); a result captured afterwards is flagged."""
    reason = checked_reason(reason)
    task = db.session.get(VisitTask, task_id, with_for_update=True)
    if task is None:
        raise unknown_task(task_id)
    if task.state != "open":
        raise Conflict(f"Visit task {task_id} is {task.state}.", code="visit_not_open")
    task.state = "withdrawn"
    task.withdrawn_at, task.withdrawn_by, task.withdrawn_reason = func.now(), actor_id, reason
    db.session.flush()
    note(FEED_TYPE, str(task.id), task.grid_code, "delete")
    record("withdraw_visit", "visit", str(task.id), actor_id=actor_id, after={"reason": reason})


def tasks_of(subject_type: str, subject_id: int) -> list[VisitTask]:
    """Every task issued for a subject, oldest first (for the subject's own history)."""
    return list(
        db.session.scalars(
            select(VisitTask)
            .where(VisitTask.subject_type == subject_type, VisitTask.subject_id == subject_id)
            .order_by(VisitTask.id)
        )
    )


# --- the desk's use cases (each one transaction) ---------------------------------------------


def issue_house_check(w: Writer, house_code: str, reason: str) -> int:
    """A plain door visit to a house in the caller's areas (POST /visits)."""
    house = db.session.scalar(
        select(House).where(House.code == house_code, House.deleted_at.is_(None))
    )
    if house is None or not w.covers(house.grid_code):
        raise house_not_found(house_code)
    task_id = issue(w, house.id, subjects.HOUSE_CHECK, house.id, reason)
    db.session.commit()
    return task_id


def withdraw_in_scope(w: Writer, task_id: int, reason: str) -> None:
    """Withdraw a task of the caller's areas; one beyond them reads as unknown."""
    grid = db.session.scalar(select(VisitTask.grid_code).where(VisitTask.id == task_id))
    if grid is None or not w.covers(grid):
        raise unknown_task(task_id)
    withdraw(task_id, w.principal.user_id, reason)
    db.session.commit()
