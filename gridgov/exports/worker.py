"""The export worker: claims queued jobs (SELECT ... FOR UPDATE SKIP LOCKED, so two workers
never take the same one), holds each with a lease it renews while writing, and finishes a job
only while it still holds the claim. A job whose worker died is taken up again once its lease
runs out; the one that finishes first with the current claim writes the only file.

It runs in its own process (`flask exports work`, started by `make run` beside gunicorn), in
an app context, and builds each file with the same builders the routes call."""

import logging
import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from flask import current_app, g
from sqlalchemy import text

from gridgov.errors import GridgovError, Unauthorized
from gridgov.exports import files, jobs
from gridgov.exports.models import ExportJob
from gridgov.extensions import db
from gridgov.scope import Principal

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

_CLAIM = text(
    """
    UPDATE export_jobs SET state = 'running', claim = :claim, attempts = attempts + 1,
           lease_until = now() + make_interval(secs => :lease), rows_done = 0
    WHERE id = (SELECT id FROM export_jobs
                WHERE (state = 'queued' OR (state = 'running' AND lease_until < now()))
                  AND attempts < :max
                ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id
    """
)
# A job whose worker died on each of its attempts is not tried again.
_EXHAUSTED = text(
    """
    UPDATE export_jobs SET state = 'failed', claim = NULL, lease_until = NULL,
           finished_at = now(), error = CAST(:error AS jsonb)
    WHERE state IN ('queued', 'running') AND attempts >= :max
      AND (state = 'queued' OR lease_until < now())
    """
)
_RENEW = text(
    """
    UPDATE export_jobs SET lease_until = now() + make_interval(secs => :lease), rows_done = :rows
    WHERE id = :id AND claim = :claim AND state = 'running'
    """
)
_FINISH = text(
    """
    UPDATE export_jobs SET state = 'done', claim = NULL, lease_until = NULL, rows_done = :rows,
           file_name = :file, download_name = :download, title = :title, size = :size,
           finished_at = now(), expires_at = now() + make_interval(secs => :keep)
    WHERE id = :id AND claim = :claim AND state = 'running'
    """
)
_GIVE_UP = text(
    """
    UPDATE export_jobs SET state = CAST(:state AS varchar), claim = NULL, lease_until = NULL,
           error = CAST(:error AS jsonb),
           finished_at = CASE WHEN CAST(:state AS varchar) = 'failed' THEN now() END
    WHERE id = :id AND claim = :claim AND state = 'running'
    """
)
_PRINCIPAL = text(
    """
    SELECT u.id, u.username, u.role, u.active,
           ARRAY(SELECT a.code || ':' || a.prefix FROM user_areas ua
                 JOIN areas a ON a.code = ua.area_code
                 WHERE ua.user_id = u.id ORDER BY a.code) AS areas
    FROM users u WHERE u.id = :uid
    """
)


class LostClaim(Exception):
    """Another worker holds the job now (this one's lease ran out)."""


@dataclass(frozen=True)
class Settings:
    directory: Path
    lease: float  # seconds
    keep: float  # seconds a finished file is kept

    @classmethod
    def of(cls, config) -> "Settings":
        return cls(
            Path(config["GRIDGOV_EXPORT_DIR"]),
            config["GRIDGOV_EXPORT_LEASE_SECONDS"],
            config["GRIDGOV_EXPORT_KEEP_HOURS"] * 3600,
        )


def _execute(stmt, engine=None, **params) -> int:
    """One statement in its own short transaction, beside the session that reads the rows."""
    with (engine or db.engine).begin() as conn:
        return conn.execute(stmt, params).rowcount


def principal_of(user_id: int) -> Principal:
    """The requester as they are now: a narrowed scope or a disabled account applies."""
    row = db.session.execute(_PRINCIPAL, {"uid": user_id}).one_or_none()
    if row is None or not row.active:
        raise Unauthorized("The requester's account is disabled.", code="account_disabled")
    areas = tuple(tuple(a.split(":")) for a in row.areas)
    return Principal(row.id, row.username, row.role, areas)


class Lease:
    """Renews a job's lease (and reports its progress) from a thread while the job runs, so a
    long query holds it too; tells the writer when the claim was lost."""

    def __init__(self, job_id: int, claim: uuid.UUID, seconds: float):
        self.job_id, self.claim, self.seconds = job_id, claim, seconds
        self.rows, self.lost = 0, False
        self.engine = db.engine  # the thread has no app context to find it by
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_until_stopped, daemon=True)

    def __enter__(self) -> "Lease":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def renew(self) -> None:
        done = _execute(
            _RENEW,
            self.engine,
            lease=self.seconds,
            rows=self.rows,
            id=self.job_id,
            claim=self.claim,
        )
        self.lost = self.lost or done == 0

    def _renew_until_stopped(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            self.renew()

    def counted(self, rows):
        for row in rows:
            if self.lost:
                raise LostClaim()
            self.rows += 1
            yield row

    def counted_pages(self, pages):
        """The pages of a record list (Export.pages), counting their rows."""
        for page in pages:
            if self.lost:
                raise LostClaim()
            self.rows += len(page[0]) if page else 0
            yield page


def run_one(settings: Settings, builders: dict) -> int | None:
    """Claim the next job and write its file; the job's id, or None when none waits."""
    claim = uuid.uuid4()
    error = '{"code": "export_failed", "detail": "The export failed on every attempt."}'
    _execute(_EXHAUSTED, max=MAX_ATTEMPTS, error=error)
    with db.engine.begin() as conn:
        job_id = conn.execute(
            _CLAIM, {"claim": claim, "lease": settings.lease, "max": MAX_ATTEMPTS}
        ).scalar()
    if job_id is None:
        return None
    job = db.session.get(ExportJob, job_id)
    kind, area, params, fmt, requester = job.kind, job.area, job.params, job.fmt, job.requester_id
    db.session.close()
    name = f"{job_id}-{claim.hex}.{fmt}"
    part = settings.directory / (name + ".part")
    try:
        settings.directory.mkdir(parents=True, exist_ok=True)
        for stale in settings.directory.glob(f"{job_id}-*.part"):  # of a claim that lapsed
            stale.unlink(missing_ok=True)
        with Lease(job_id, claim, settings.lease) as lease:
            g.principal = principal_of(requester)
            schema, build = builders[kind]
            args = jobs.open_params(current_app.extensions["vault"], params)
            export = build(schema().load(args), area, None)
            if export.pages is None:
                export = replace(export, rows=lease.counted(export.rows))
            else:
                export = replace(export, pages=lease.counted_pages(export.pages))
            with part.open("wb") as handle:
                files.write_file(export, fmt, handle)
            lease.renew()
            if lease.lost:
                raise LostClaim()
            part.rename(settings.directory / name)
            size = (settings.directory / name).stat().st_size
            finished = _execute(
                _FINISH,
                rows=lease.rows,
                file=name,
                download=export.filename,
                title=export.title,
                size=size,
                keep=settings.keep,
                id=job_id,
                claim=claim,
            )
        if not finished:
            (settings.directory / name).unlink(missing_ok=True)
    except LostClaim:
        log.warning("export job %s: claim lost to another worker", job_id)
    except GridgovError as err:  # the request no longer holds (scope, account, arguments)
        _give_up(job_id, claim, "failed", {"code": err.code, "detail": err.detail})
    except Exception:
        log.exception("export job %s failed", job_id)
        _give_up(job_id, claim, "queued", {"code": "export_failed", "detail": "retrying"})
    finally:
        if part.parent.is_dir():
            part.unlink(missing_ok=True)
        db.session.remove()
        g.pop("principal", None)
    return job_id


def _give_up(job_id: int, claim: uuid.UUID, state: str, error: dict) -> None:
    db.session.rollback()
    _execute(_GIVE_UP, state=state, error=current_app.json.dumps(error), id=job_id, claim=claim)


def expire(settings: Settings) -> int:
    """Delete the files of jobs past their keeping time; they answer 'expired' from then on.
    Also removes half-written files of claims that ended (a worker died while writing)."""
    with db.engine.begin() as conn:
        names = conn.execute(
            text(
                """
                WITH old AS (SELECT id, file_name FROM export_jobs
                             WHERE state = 'done' AND expires_at <= now() FOR UPDATE SKIP LOCKED)
                UPDATE export_jobs j SET state = 'expired', file_name = NULL
                FROM old WHERE j.id = old.id RETURNING old.file_name
                """
            )
        ).scalars()
        expired = [n for n in names if n]
        live = {
            c.hex
            for c in conn.execute(
                text("SELECT claim FROM export_jobs WHERE state = 'running'")
            ).scalars()
        }
    for name in expired:
        (settings.directory / name).unlink(missing_ok=True)
    if settings.directory.is_dir():
        for part in settings.directory.glob("*.part"):
            if part.name.split(".")[0].split("-")[-1] not in live:
                part.unlink(missing_ok=True)
    return len(expired)


def work(settings: Settings, builders: dict, poll: float, once: bool = False) -> None:
    """Run jobs until stopped (with once: until none waits)."""
    while True:
        expire(settings)
        if run_one(settings, builders) is not None:
            continue
        if once:
            return
        time.sleep(poll)  # the queue's polling interval
