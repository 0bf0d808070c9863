"""Benchmark a large export run as a job against the raw COPY of the same rows.

Fills the bench database with `flask demo generate` up to EXPORT_PERSONS (default 300,000)
people if it holds fewer. The job: the masked person list of the whole district, in each of
EXPORT_FORMATS (default "csv xlsx"), asked for as a job and written by a real `flask exports
work` process, timed from the request to the job's `done` (labels, masking and formula guards
included). The floor, measured before and after each job: `COPY (SELECT the same masked
columns of the same people, in the same order) TO STDOUT WITH CSV` over plain psycopg, read
to the end. Prints rows/s of each, the ratio and the load average; no assertions.
"""

import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy import select, text

from bench.common import ROOT, record
from gridgov import create_app
from gridgov.accounts import service as accounts
from gridgov.accounts.models import User
from gridgov.exports import jobs, worker
from gridgov.exports.models import ExportJob
from gridgov.extensions import db
from gridgov.hierarchy.models import Area

PERSONS = int(os.environ.get("EXPORT_PERSONS", "300000"))
FORMATS = os.environ.get("EXPORT_FORMATS", "csv xlsx").split()
DISTRICT = "440303000000"
FLOOR = """
COPY (
  SELECT p.id, p.id_masked, p.id_kind, p.name, p.sex, p.sex_mismatch,
         extract(year FROM p.birth_date), p.ethnicity, p.phone_masked, p.kind, h.code,
         p.grid_code, p.origin_code, p.inflow_reason, p.arrival_date, p.special_concern,
         p.capture_method, p.details
  FROM persons p LEFT JOIN houses h ON h.id = p.house_id
  WHERE p.deleted_at IS NULL AND p.grid_code LIKE '440303%'
  ORDER BY p.id
) TO STDOUT WITH CSV HEADER
"""


def fill(app) -> int:
    with app.app_context():
        have = db.session.scalar(text("SELECT count(*) FROM persons"))
    if have < PERSONS:
        flask = str(ROOT / ".venv/bin/flask")
        subprocess.run([flask, "demo", "generate", "--persons", str(PERSONS - have)], check=True)
    with app.app_context():
        # Fresh rows without statistics make the planner sort the whole table for each page.
        db.session.execute(text("ANALYZE persons, houses"))
        db.session.commit()
        live = "SELECT count(*) FROM persons WHERE deleted_at IS NULL AND grid_code LIKE '440303%'"
        return db.session.scalar(text(live))


def floor(url: str) -> tuple[float, int]:
    started, size = time.perf_counter(), 0
    with psycopg.connect(url) as conn, conn.cursor() as cur, cur.copy(FLOOR) as copy:
        for chunk in copy:
            size += len(chunk)
    return time.perf_counter() - started, size


def _run(app, principal, area: str, fmt: str) -> tuple[float, ExportJob]:
    """Ask for the person list of an area as a job and wait for the worker to finish it."""
    started = time.perf_counter()
    request = jobs.JobRequest(True, 0, {"area": area, "format": fmt}, app.extensions["vault"])
    job = jobs.submit(principal, "persons", area, request, fmt)
    while True:
        db.session.remove()
        row = db.session.get(ExportJob, job["id"])
        if row.state in ("done", "failed"):
            break
        time.sleep(0.05)  # the job is another process's: poll its row
    if row.state != "done":
        sys.exit(f"the export job failed: {row.error}")
    return time.perf_counter() - started, row


def as_job(app, directory: Path, fmt: str) -> tuple[float, int, int]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "bench_exporter"))
        if user is None:
            user = accounts.create_user(
                None, "bench_exporter", secrets.token_urlsafe(16), "district_staff", [DISTRICT]
            )
        principal = worker.principal_of(user.id)
        cell = db.session.scalar(
            select(Area.code).where(Area.level == "grid", Area.code.like(DISTRICT[:6] + "%"))
        )
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/flask"), "exports", "work", "--poll", "0.05"],
            env={**os.environ, "GRIDGOV_EXPORT_DIR": str(directory)},
        )
        try:
            # One grid cell first: the worker is up and warm, as it is when a clerk asks; the
            # time measured is the export's, not the worker's start.
            _run(app, principal, cell, fmt)
            elapsed, row = _run(app, principal, DISTRICT, fmt)
        finally:
            proc.terminate()
            proc.wait(10)
        return elapsed, row.rows_done, row.size


def main() -> None:
    app = create_app()
    rows = fill(app)
    url = os.environ["DATABASE_URL"]
    print(f"exports: {rows} persons below {DISTRICT}")
    for fmt in FORMATS:
        load = os.getloadavg()[0]
        floor_s, floor_bytes = floor(url)
        with tempfile.TemporaryDirectory() as directory:
            job_s, job_rows, job_bytes = as_job(app, Path(directory), fmt)
        floor_s = min(floor_s, floor(url)[0])  # again after the job: a warm cache for both
        load = max(load, os.getloadavg()[0])
        ratio = (job_rows / job_s) / (rows / floor_s)
        print(f"  {fmt}: load average {load:.1f}")
        print(f"    raw COPY        {floor_s:7.2f} s {rows / floor_s:10.0f} rows/s {floor_bytes} B")
        print(f"    export as a job {job_s:7.2f} s {job_rows / job_s:10.0f} rows/s {job_bytes} B")
        print(f"    ratio (job rows/s / COPY rows/s) {ratio:.2f}")
        record("export", format=fmt, rows=job_rows, seconds=job_s, copy_s=floor_s, ratio=ratio)


if __name__ == "__main__":
    main()
