"""Exports as jobs: accepted with 202 and a Location, written by the real worker process,
read only by their requester, taken up again when their worker died and never written twice,
deleted when kept long enough; every request and download audited."""

import csv
import io
import uuid

import pytest
from sqlalchemy import func, select, text

from gridgov.audit.models import AuditEvent
from gridgov.exports import jobs, worker
from gridgov.exports.models import ExportJob
from gridgov.exports.routes import BUILDERS
from gridgov.extensions import db
from gridgov.scope.cache import clear_all
from tests import factories as f
from tests.exports.helpers import EAST_STREET, WEST_STREET
from tests.exports.test_exports import H
from tests.live import ExportWorker, wait_for


@pytest.fixture
def exports_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "GRIDGOV_EXPORT_DIR", str(tmp_path))
    return tmp_path


def database_url() -> str:
    return db.engine.url.render_as_string(hide_password=False)


def ask(client, headers, path, status=202, **params) -> dict:
    response = client.get(f"/api/v1/exports/{path}", query_string=params, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status == 202:
        assert response.headers["Location"] == f"/api/v1/exports/jobs/{response.json['id']}"
    return response.json


def job_state(client, headers, job_id) -> dict:
    response = client.get(f"/api/v1/exports/jobs/{job_id}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def fetch(client, headers, job_id, status=200):
    response = client.get(f"/api/v1/exports/jobs/{job_id}/file", headers=headers)
    response.get_data()
    response.close()
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return response


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_an_export_asked_for_as_a_job_is_accepted_and_queued(app, client, street_staff, town):
    job = ask(client, street_staff, "persons", area=WEST_STREET, format="xlsx", **{"async": "true"})
    assert (job["state"], job["list"], job["format"], job["rows_total"]) == (
        "queued",
        "persons",
        "xlsx",
        2,
    )
    assert job_state(client, street_staff, job["id"])["file"] is None
    refused = fetch(client, street_staff, job["id"], 409)
    assert refused.json["code"] == "export_queued"
    # Asked for, not yet disclosed: one audit row of the request, none of an export.
    assert actions().count("export_job") == 1 and "export" not in actions()
    stored = db.session.scalar(select(ExportJob.params).where(ExportJob.id == job["id"]))
    assert jobs.open_params(app.extensions["vault"], stored) == {
        "area": WEST_STREET,
        "format": "xlsx",
    }


def test_a_jobs_arguments_are_sealed_at_rest(client, staff, town, exports_dir):
    # Sealed whole: a filter that may name a person or an address is not kept in the clear.
    job = ask(client, staff, "persons", area=f.DISTRICT, compound="翠竹苑", **{"async": "true"})
    raw = db.session.scalar(
        text("SELECT params::text FROM export_jobs WHERE id = :id"), {"id": job["id"]}
    )
    assert "翠竹苑" not in raw and "compound" not in raw and "sealed" in raw
    assert worker.run_one(settings(exports_dir), BUILDERS) == job["id"]
    assert job_state(client, staff, job["id"])["rows_done"] == 2  # the filter still applies


def test_a_list_longer_than_the_limit_or_a_prefer_header_makes_a_job(
    app, client, staff, town, monkeypatch
):
    monkeypatch.setitem(app.config, "GRIDGOV_EXPORT_JOB_ABOVE_ROWS", 2)
    assert ask(client, staff, "houses", area=f.DISTRICT)["rows_total"] == 3
    ask(client, staff, "houses", 200, area=WEST_STREET)  # two rows: a file at once
    response = client.get(
        f"/api/v1/exports/stats/{f.DISTRICT}",
        headers={**staff, "Prefer": "respond-async"},
    )
    assert response.status_code == 202 and response.headers["Preference-Applied"]
    assert response.json["list"] == "stats"


def test_the_worker_process_writes_the_file_the_requester_downloads(
    client, street_staff, town, exports_dir
):
    job = ask(client, street_staff, "persons", area=WEST_STREET, **{"async": "true"})
    direct = client.get(
        "/api/v1/exports/persons", query_string={"area": WEST_STREET}, headers=street_staff
    )
    process = ExportWorker(database_url(), exports_dir)
    try:
        done = wait_for(
            lambda: (s := job_state(client, street_staff, job["id"]))["state"] == "done" and s
        )
    finally:
        process.close()
    assert done["rows_done"] == 2 and done["file"] == f"/api/v1/exports/jobs/{job['id']}/file"
    assert done["expires_at"] > done["finished_at"]
    response = fetch(client, street_staff, job["id"])
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=persons_")
    assert response.data == direct.data  # the same file as a download in the request
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert {r[H["name"]] for r in rows} == {"张三", '\'=HYPERLINK("x")'}
    assert all("*" in r[H["id_number"]] for r in rows)
    fetch(client, street_staff, job["id"])
    assert actions().count("export_job") == 1
    assert actions().count("export") == 2  # the direct download, and the job's file
    assert actions().count("export_download") == 2  # each download is a disclosure


def test_only_the_requester_reads_a_job_and_anyone_else_gets_the_same_404(
    client, staff, street_staff, town
):
    job = ask(client, street_staff, "houses", area=WEST_STREET, **{"async": "true"})
    colleague = f.auth_as(client, "street_staff", [WEST_STREET], username="colleague")
    neighbour = f.auth_as(client, "street_staff", [EAST_STREET])
    absent = job["id"] + 1000
    answers = []
    for headers, job_id in ((colleague, job["id"]), (neighbour, job["id"]), (staff, absent)):
        for path in ("", "/file"):
            response = client.get(f"/api/v1/exports/jobs/{job_id}{path}", headers=headers)
            body = response.get_data(as_text=True).replace(str(job_id), "<ID>")
            answers.append((response.status_code, body))
    assert len(set(answers)) == 1 and answers[0][0] == 404
    assert "unknown_export_job" in answers[0][1]
    # The requester's scope narrowed to the neighbouring street: the job is not theirs now.
    user = db.session.scalar(
        text("SELECT id FROM users WHERE username = 'street_staff_440303001000'")
    )
    db.session.execute(
        text("UPDATE user_areas SET area_code = :c WHERE user_id = :u"),
        {"c": EAST_STREET, "u": user},
    )
    db.session.commit()
    clear_all()
    response = client.get(f"/api/v1/exports/jobs/{job['id']}", headers=street_staff)
    assert response.status_code == 404


def settings(directory, lease=30.0, keep=3600.0) -> worker.Settings:
    return worker.Settings(directory, lease, keep)


def test_a_job_whose_worker_died_is_taken_up_again_and_written_once(
    client, staff, town, exports_dir
):
    job = ask(client, staff, "houses", area=f.DISTRICT, **{"async": "true"})
    # What a worker killed mid-file leaves: a running job with a lapsed lease, a partial file.
    dead = uuid.uuid4()
    db.session.execute(
        text(
            "UPDATE export_jobs SET state = 'running', claim = :c, attempts = 1, "
            "lease_until = now() - interval '1 second' WHERE id = :id"
        ),
        {"c": dead, "id": job["id"]},
    )
    db.session.commit()
    (exports_dir / f"{job['id']}-{dead.hex}.csv.part").write_bytes(b"\xef\xbb\xbfhalf")
    first, second = (
        ExportWorker(database_url(), exports_dir),
        ExportWorker(database_url(), exports_dir),
    )
    try:
        done = wait_for(lambda: (s := job_state(client, staff, job["id"]))["state"] == "done" and s)
    finally:
        first.close()
        second.close()
    assert done["rows_done"] == 3
    assert db.session.scalar(select(ExportJob.attempts).where(ExportJob.id == job["id"])) == 2
    assert sorted(p.name for p in exports_dir.iterdir()) == [
        db.session.scalar(select(ExportJob.file_name).where(ExportJob.id == job["id"]))
    ]  # the half-written file of the dead claim is gone, one file is left
    assert actions().count("export") == 1


def test_two_worker_processes_write_each_job_exactly_once(client, staff, town, exports_dir):
    ids = [
        ask(client, staff, "houses", area=f.DISTRICT, **{"async": "true"})["id"] for _ in range(8)
    ]
    processes = [ExportWorker(database_url(), exports_dir) for _ in range(2)]
    try:

        def all_done():
            """every job done"""
            db.session.remove()
            states = db.session.scalars(select(ExportJob.state).where(ExportJob.id.in_(ids)))
            return set(states) == {"done"}

        wait_for(all_done)
    finally:
        for p in processes:
            p.close()
    assert db.session.scalar(select(func.max(ExportJob.attempts))) == 1
    assert actions().count("export") == 8 and len(list(exports_dir.iterdir())) == 8


def test_a_job_held_under_a_live_lease_is_not_taken(client, staff, town, exports_dir):
    job = ask(client, staff, "houses", area=f.DISTRICT, **{"async": "true"})
    db.session.execute(
        text(
            "UPDATE export_jobs SET state = 'running', claim = :c, attempts = 1, "
            "lease_until = now() + interval '1 minute' WHERE id = :id"
        ),
        {"c": uuid.uuid4(), "id": job["id"]},
    )
    db.session.commit()
    assert worker.run_one(settings(exports_dir), BUILDERS) is None


def test_a_kept_file_is_deleted_when_its_time_is_up(client, staff, town, exports_dir):
    job = ask(client, staff, "persons", area=f.DISTRICT, format="xlsx", **{"async": "true"})
    assert worker.run_one(settings(exports_dir), BUILDERS) == job["id"]
    assert job_state(client, staff, job["id"])["state"] == "done"
    assert fetch(client, staff, job["id"]).data.startswith(b"PK")  # a zip: the workbook
    db.session.execute(text("UPDATE export_jobs SET expires_at = now() - interval '1 second'"))
    db.session.commit()
    assert fetch(client, staff, job["id"], 409).json["code"] == "export_expired"
    assert worker.expire(settings(exports_dir)) == 1
    assert list(exports_dir.iterdir()) == []
    state = job_state(client, staff, job["id"])
    assert (state["state"], state["file"]) == ("expired", None)


def test_a_job_of_a_disabled_account_fails_naming_why(client, street_staff, town, exports_dir):
    job = ask(client, street_staff, "houses", area=WEST_STREET, **{"async": "true"})
    db.session.execute(text("UPDATE users SET active = false WHERE username LIKE 'street%'"))
    db.session.commit()
    worker.run_one(settings(exports_dir), BUILDERS)
    row = db.session.get(ExportJob, job["id"])
    assert (row.state, row.error["code"], row.file_name) == ("failed", "account_disabled", None)
    assert list(exports_dir.iterdir()) == []


def test_a_job_that_keeps_failing_is_tried_three_times_then_failed(client, staff, town, tmp_path):
    job = ask(client, staff, "houses", area=f.DISTRICT, **{"async": "true"})
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the export directory should be")
    for attempt in (1, 2, 3):
        assert worker.run_one(settings(blocked), BUILDERS) == job["id"]
        db.session.remove()
        row = db.session.get(ExportJob, job["id"])
        assert (row.state, row.attempts, row.claim) == ("queued", attempt, None)
    assert worker.run_one(settings(blocked), BUILDERS) is None
    state = job_state(client, staff, job["id"])
    assert (state["state"], state["error"]["code"]) == ("failed", "export_failed")
