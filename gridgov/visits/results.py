"""A door-visit result from an upload, with its proof of visit checked on the server.

The proof: the device was within the allowed distance of the house's point, the result was
captured after the task was issued and before it was withdrawn or done, the task is still open,
and the uploader's areas hold the task's cell. A result failing any of it is kept with
proof_ok false and each fault named, never silently accepted and never dropped.

A result from beyond the uploader's areas is kept too (flagged `worker_outside_cell`, for the
task's desk to see), but the device is answered exactly as for a task nobody has: a refusal
must not tell that a task exists elsewhere. Only a result the device is told was recorded is
handed to the task's subject."""

import json

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, text

from gridgov import idnumber
from gridgov.audit.service import record
from gridgov.crypto import mask_phone, mask_tail
from gridgov.extensions import db
from gridgov.feed import note
from gridgov.geo import SRID, point_to_wgs84
from gridgov.records.checks import load
from gridgov.records.outcome import Outcome
from gridgov.records.writer import Writer
from gridgov.visits import subjects
from gridgov.visits.models import VisitResult, VisitTask
from gridgov.visits.schemas import VISIT_RESULT_DATA
from gridgov.visits.service import FEED_TYPE, unknown_task

SEAL_PURPOSE = "visit_corrected"
_ID_FIELDS = ("id_number", "owner_id_number", "landlord_id_number", "head_id_number")
_PHONE_FIELDS = ("phone", "landlord_phone")
_NAME_FIELDS = ("name", "former_name", "owner_name", "landlord_name", "head_name")
_TAIL_FIELDS = ("certificate_no", "landlord_address", "hukou_address", "address")

_DISTANCE = text(
    """
    SELECT geom IS NOT NULL AS has_point,
           ST_Distance(geom::geography,
                       ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)),
                                  4326)::geography) AS metres
    FROM houses WHERE id = :house
    """
)


def _masked(value, name: str = ""):
    """Corrected fields as a view may show them: personal values masked, the rest as sent."""
    if isinstance(value, dict):
        return {k: _masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, name) for v in value]
    if not isinstance(value, str) or not value:
        return value
    if name in _ID_FIELDS:
        return idnumber.mask(value) if len(value) >= 10 else "*" * len(value)
    if name in _PHONE_FIELDS:
        return mask_phone(value)
    if name in _NAME_FIELDS:
        return value[0] + "*" * (len(value) - 1)
    if name in _TAIL_FIELDS:
        return mask_tail(value)
    return value


def _faults(w: Writer, task: VisitTask, env: dict, max_metres: float):
    """(faults, distance in metres, the device's point in WGS84) of a result's proof."""
    faults = []
    if not w.covers(task.grid_code):
        faults.append("worker_outside_cell")
    if task.state != "open":
        faults.append("task_not_open")
    captured = env["captured_at"]
    if captured < task.issued_at:
        faults.append("captured_before_issued")
    if task.withdrawn_at is not None and captured > task.withdrawn_at:
        faults.append("captured_after_withdrawn")
    if task.done_at is not None and captured > task.done_at:
        faults.append("captured_after_done")
    position, point = env.get("position"), None
    if position is None:
        faults.append("no_position")
    else:
        point = point_to_wgs84(position["lon"], position["lat"], position["crs"])
    lon, lat = point if point is not None else (None, None)
    row = db.session.execute(_DISTANCE, {"lon": lon, "lat": lat, "house": task.house_id}).one()
    metres = None if row.metres is None else float(row.metres)
    if not row.has_point:
        faults.append("house_has_no_point")
    elif metres is not None and metres > max_metres:
        faults.append("position_too_far")
    return faults, metres, point


def record_result(w: Writer, env: dict, max_metres: float) -> Outcome:
    """Keep a result uploaded for a task (in the upload record's savepoint), close the task
    when the proof holds, and tell the task's subject. Raises for a task nobody has."""
    data = load(VISIT_RESULT_DATA, env["data"])
    task = db.session.get(VisitTask, data["task_id"], with_for_update=True, populate_existing=True)
    if task is None:
        raise unknown_task(data["task_id"])
    faults, metres, point = _faults(w, task, env, max_metres)
    corrected = data["corrected"]
    result = VisitResult(
        task_id=task.id,
        uploaded_by=w.principal.user_id,
        device_id=w.device_id,
        sync_uuid=env["uuid"],
        result=data["result"],
        corrected=_masked(corrected) if corrected else None,
        corrected_sealed=(
            w.vault.seal(json.dumps(corrected, ensure_ascii=False), SEAL_PURPOSE)
            if corrected
            else None
        ),
        note=data["note"],
        captured_at=env["captured_at"],
        position=from_shape(Point(*point), srid=SRID) if point is not None else None,
        distance_m=metres,
        proof_ok=not faults,
        proof_faults=faults,
    )
    db.session.add(result)
    if not faults:
        task.state, task.done_at = "done", func.now()
    db.session.flush()
    if not faults:
        note(FEED_TYPE, str(task.id), task.grid_code, "delete")
    record(
        "visit_result",
        "visit",
        str(task.id),
        actor_id=w.principal.user_id,
        device_id=w.device_id,
        after={
            "result_id": result.id,
            "result": result.result,
            "proof_ok": result.proof_ok,
            "faults": faults,
            "distance_m": None if metres is None else round(metres, 1),
            "corrected": result.corrected,
        },
    )
    if "worker_outside_cell" in faults:
        return Outcome.refused(unknown_task(task.id))
    subjects.dispatch(w, task.subject_type, task.subject_id, result.result, corrected, not faults)
    if faults:
        return Outcome("flagged", 201, key=str(result.id), flags=faults)
    return Outcome("created", 201, key=str(result.id))
