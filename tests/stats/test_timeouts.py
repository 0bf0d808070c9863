"""Nothing runs past the server's timeout unseen: on a real gunicorn, a statement held past the
statement timeout is answered 503 problem+json with Retry-After, and a past day too far back
for a request is left to the job with the same kind of answer, never an HTML 500."""

import json
import urllib.error
import urllib.request

from sqlalchemy import text

from gridgov.extensions import db
from tests import factories as f
from tests.live import Server
from tests.stats import helpers as h
from tests.stats.test_statistics import COMMUNITY, SOUTH_CELL


def get(server: Server, path: str, headers: dict) -> tuple[int, dict, dict]:
    """(status, headers, parsed problem or body); fails on anything not JSON."""
    request = urllib.request.Request(server.url(path), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def database_url() -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_a_statement_held_past_the_statement_timeout_is_a_503_problem_and_the_worker_lives(
    client,
):
    f.make_district()
    staff = f.auth_as(client, "district_staff", [f.DISTRICT])
    # The worker would be killed at 5 s; each statement is cancelled at 0.3 s.
    env = {"GRIDGOV_WORKER_TIMEOUT": "5", "GRIDGOV_STATEMENT_TIMEOUT_MS": "300"}
    server = Server(database_url(), env=env)
    blocker = db.engine.connect()
    try:
        status, _, _ = get(server, f"/api/v1/stats/{f.DISTRICT}", staff)
        assert status == 200
        # A writer that holds the counts: the statistics statement waits, and is cancelled.
        blocker.exec_driver_sql("LOCK TABLE stat_area_counts IN ACCESS EXCLUSIVE MODE")
        status, headers, problem = get(server, f"/api/v1/stats/{f.DISTRICT}", staff)
        assert status == 503
        assert headers["Content-Type"] == "application/problem+json"
        assert problem["code"] == "query_timeout"
        assert int(headers["Retry-After"]) > 0
        blocker.rollback()
        # The same worker answers the next request: it was never killed.
        workers = server.workers()
        status, _, body = get(server, f"/api/v1/stats/{f.DISTRICT}", staff)
        assert status == 200 and body["total"]["population"] == 0
        assert server.workers() == workers
    finally:
        blocker.close()
        server.close()


def test_a_past_day_too_far_back_for_a_request_is_a_503_problem_until_the_job_keeps_it(client, cli):
    f.make_district()
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    house = h.add_house(client, staff, SOUTH_CELL, "101")
    h.add_person(client, staff, 1, house, moved_in="2026-01-10")
    h.add_person(client, staff, 2, house, moved_in="2026-04-10")
    server = Server(database_url(), env={"GRIDGOV_STATS_KEEP_CHANGES": "1"})
    try:
        path = f"/api/v1/stats/{COMMUNITY}?as_of=2026-02-28"
        status, headers, problem = get(server, path, staff)
        assert (status, problem["code"]) == (503, "not_counted_yet")
        assert headers["Content-Type"] == "application/problem+json"
        assert int(headers["Retry-After"]) > 0
        asked = text("SELECT count(*) FROM stat_snapshot_days WHERE NOT ready")
        assert db.session.scalar(asked) == 1
        assert cli.invoke(args=["stats", "snapshot", "--months", "0"]).exit_code == 0
        status, _, body = get(server, path, staff)
        assert status == 200 and body["total"]["population"] == 1
    finally:
        server.close()
