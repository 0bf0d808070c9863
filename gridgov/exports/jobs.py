"""Export jobs as a requester sees them: asked for, looked at, downloaded. Only the requester
reads a job, and only while its area is in their scope; anyone else, and a job that does not
exist, get the same 404. Every request and every download leaves an audit row."""

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from gridgov.audit.service import record
from gridgov.crypto import Vault
from gridgov.errors import Conflict, NotFound
from gridgov.exports.models import ExportJob
from gridgov.extensions import db
from gridgov.hierarchy import service as hierarchy
from gridgov.scope import Principal

PURPOSE = "export_job"
MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}


@dataclass(frozen=True)
class JobRequest:
    """How a request asks for a job: explicitly (async=true, Prefer: respond-async), or by
    being longer than `above` rows; `params` are its query arguments, for the worker."""

    wanted: bool
    above: int
    params: dict = field(default_factory=dict)
    vault: Vault | None = None  # seals the arguments: a name or phone filter is personal data

    def needed(self, rows: int | None = None) -> bool:
        return self.wanted or (rows is not None and rows > self.above)


def seal_params(vault: Vault, params: dict) -> dict:
    return {"sealed": base64.b64encode(vault.seal(json.dumps(params), PURPOSE)).decode()}


def open_params(vault: Vault, stored: dict) -> dict:
    return json.loads(vault.open(base64.b64decode(stored["sealed"]), PURPOSE))


def submit(
    principal: Principal, kind: str, area: str, job: JobRequest, fmt: str, rows: int | None = None
) -> dict:
    """Queue an export for the worker; the caller has checked the area is theirs."""
    # A GET runs its reads in autocommit (scope.guard); the job and its audit row must commit
    # together, and a connection back from the pool starts a real transaction again.
    db.session.close()
    job = ExportJob(
        requester_id=principal.user_id,
        kind=kind,
        area=area,
        params=seal_params(job.vault, job.params),
        fmt=fmt,
        rows_total=rows,
    )
    db.session.add(job)
    db.session.flush()
    after = {"job": job.id, "list": kind, "format": fmt, "rows": rows}
    record("export_job", "area", area, actor_id=principal.user_id, after=after)
    db.session.commit()
    return view(job)


def _job(principal: Principal, job_id: int) -> ExportJob:
    job = db.session.scalar(
        select(ExportJob).where(ExportJob.id == job_id, ExportJob.requester_id == principal.user_id)
    )
    missing = NotFound(f"No export job {job_id} of yours.", code="unknown_export_job")
    if job is None:
        raise missing
    try:
        hierarchy.area_prefix(principal, job.area)  # still theirs: a narrowed scope loses it
    except NotFound:
        raise missing from None
    return job


def view(job: ExportJob) -> dict:
    out = {
        "id": job.id,
        "state": job.state,
        "list": job.kind,
        "area": job.area,
        "format": job.fmt,
        "rows_total": job.rows_total,
        "rows_done": job.rows_done,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "expires_at": job.expires_at.isoformat() if job.expires_at else None,
        "file": f"/api/v1/exports/jobs/{job.id}/file" if job.state == "done" else None,
        "error": job.error,
    }
    return out


def get(principal: Principal, job_id: int) -> dict:
    """A job of the caller's: its state, progress and (once done) where its file is."""
    return view(_job(principal, job_id))


@dataclass(frozen=True)
class Download:
    path: Path
    media: str
    filename: str
    title: str


def download(principal: Principal, job_id: int, directory: Path, now: datetime | None = None):
    """The finished file of a job of the caller's; each download is a disclosure, audited."""
    job = _job(principal, job_id)
    now = now or datetime.now(UTC)
    state = job.state
    if state == "done" and job.expires_at is not None and job.expires_at <= now:
        state = "expired"  # the worker deletes the file on its next round
    if state != "done":
        raise Conflict(
            f"Export job {job_id} is {state}: it has no file to download.",
            code=f"export_{state}",
        )
    path = directory / job.file_name
    if not path.is_file():  # deleted by the worker's expiry round meanwhile
        raise Conflict(f"Export job {job_id} is expired: it has no file.", code="export_expired")
    after = {"job": job.id, "list": job.kind, "format": job.fmt, "rows": job.rows_done}
    record("export_download", "area", job.area, actor_id=principal.user_id, after=after)
    db.session.commit()
    return Download(path, MEDIA[job.fmt], job.download_name, job.title)
