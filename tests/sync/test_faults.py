"""Faults on real processes: a worker killed mid-batch, the database gone during uploads.
After each, the device's retry leaves exactly what it meant to send: nothing lost, nothing twice."""

import threading

import pytest
from sqlalchemy import func, select

from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people.models import Person
from gridgov.sync.models import Conflict
from tests import factories as f
from tests.live import Held, Proxy, Server, proxied_url, send_together


@pytest.fixture
def seeded(client, worker, house):
    """A district, a worker's token, and one house to register people into."""
    token = f.login(client, "wang")["access_token"]
    return token, house


def batch(house: str, start: int, size: int) -> dict:
    records = [f.envelope("person", f.person_data(start + i, house)) for i in range(size)]
    return {"device_id": "pda-1", "records": records}


def persons() -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(Person))


def test_a_worker_killed_mid_batch_loses_nothing_and_the_retry_duplicates_nothing(seeded):
    token, house = seeded
    server = Server(str(db.engine.url.render_as_string(hide_password=False)))
    try:
        body = batch(house, 1, 600)
        outcome = {}
        upload = threading.Thread(
            target=lambda: outcome.update(
                first=server.request("POST", "/api/v1/sync/upload", body, token)
            )
        )
        # Hold the batch at its last step (storing outcomes), its people already written.
        with Held(db.engine, "sync_records") as held:
            upload.start()
            [waiting] = held.wait_for(1)
            assert held.wrote(waiting, "persons") and held.wrote(waiting, "residences")
            server.kill_workers()
            upload.join(30)
        assert outcome["first"][0] is None or outcome["first"][0] >= 500  # the device saw it fail
        assert persons() == 0  # the batch's transaction died with the worker
        server.wait_ready()
        status, retry = server.request("POST", "/api/v1/sync/upload", body, token)
        assert status == 200
        assert {r["outcome"] for r in retry["results"]} == {"created"}
        status, again = server.request("POST", "/api/v1/sync/upload", body, token)
        assert {r.get("replayed") for r in again["results"]} == {True}
        assert persons() == 600
    finally:
        server.close()


def test_uploads_get_503_while_the_database_is_down_and_succeed_after(seeded):
    token, house = seeded
    url = db.engine.url
    proxy = Proxy(url.host, url.port)
    proxy.start()
    server = Server(proxied_url(url.render_as_string(hide_password=False), proxy))
    try:
        status, _ = server.request("POST", "/api/v1/sync/upload", batch(house, 1, 5), token)
        assert status == 200
        proxy.stop()
        body = batch(house, 100, 50)
        status, problem = server.request("POST", "/api/v1/sync/upload", body, token, timeout=30)
        assert status == 503 and problem["code"] == "database_unavailable"
        health, _ = server.request("GET", "/healthz")
        assert health == 503
        proxy.start()
        # The proxy listens again before this line. The first request may still meet a pooled
        # connection that died with the outage (a 503 that throws the pool away); the next ones
        # connect afresh. No waiting is needed, only a bounded number of tries.
        for _ in range(5):
            status, result = server.request("POST", "/api/v1/sync/upload", body, token)
            if status == 200:
                break
            assert status == 503
        assert status == 200 and {r["outcome"] for r in result["results"]} == {"created"}
        assert persons() == 55
        assert db.session.scalar(select(func.count()).select_from(House)) == 1
    finally:
        server.close()
        proxy.stop()


def test_a_retry_that_overlaps_the_first_try_replays_instead_of_failing(seeded):
    """A device that hung up on a slow answer retries at once: both copies run together."""
    token, house = seeded
    server = Server(str(db.engine.url.render_as_string(hide_password=False)), workers=2)
    try:
        answers = overlapping(server, batch(house, 1, 300), token)
        assert [status for status, _ in answers] == [200, 200]
        for _, payload in answers:
            assert {r["outcome"] for r in payload["results"]} == {"created"}
        # one copy wrote them; the other met its uncommitted people and answered from its outcomes
        assert replayed_copies(answers) == [False, True]
        assert persons() == 300
    finally:
        server.close()


def test_an_overlapping_retry_of_edits_makes_no_conflict_and_no_second_version(seeded, client):
    token, house = seeded
    size = 300
    f.upload(client, f.bearer(token), *batch(house, 1, size)["records"])
    edits = [
        f.envelope("person", f.person_data(1 + i, house, name=f"改{i}"), base_version=1)
        for i in range(size)
    ]
    server = Server(str(db.engine.url.render_as_string(hide_password=False)), workers=2)
    try:
        answers = overlapping(server, {"device_id": "pda-1", "records": edits}, token)
        assert [status for status, _ in answers] == [200, 200]
        for first, second in zip(*(payload["results"] for _, payload in answers), strict=True):
            assert first["outcome"] == second["outcome"] == "updated"
            assert first["version"] == second["version"] == 2
        # whichever copy got there second answers with the first one's stored outcomes
        assert replayed_copies(answers) == [False, True]
        db.session.remove()
        assert db.session.scalar(select(func.count()).select_from(Conflict)) == 0
    finally:
        server.close()


def together(server, token, bodies: list) -> list:
    """Send batches at the same moment and make them overlap: the first to get there is held
    at its last step (storing outcomes) until the other has come to wait behind it, so both
    are in flight at once whatever the machine's speed. The answers, as they came."""
    with Held(db.engine, "sync_records") as held:
        threads, answers = send_together(server, token, bodies)
        held.wait_for(len(bodies))
    for t in threads:
        t.join(60)
    return answers


def overlapping(server, body, token) -> list:
    """Send the same batch twice at the same moment, as a device retrying a slow answer does."""
    return together(server, token, [body, body])


def replayed_copies(answers) -> list[bool]:
    """For each answer, whether it was wholly replayed; sorted. Each answer is all or nothing."""
    flags = [{bool(r.get("replayed")) for r in payload["results"]} for _, payload in answers]
    assert all(len(f) == 1 for f in flags), flags
    return sorted(f.pop() for f in flags)


def test_two_batches_editing_the_same_people_in_opposite_orders_both_get_answers(seeded, client):
    """Two devices edit the same people in opposite orders at the same moment: without care
    PostgreSQL would abort one with a deadlock; each device gets an answer for every record."""
    token, house = seeded
    size = 100
    f.upload(client, f.bearer(token), *batch(house, 1, size)["records"])

    def edits(device: str, order) -> dict:
        records = [
            f.envelope("person", f.person_data(1 + i, house, name=f"{device}{i}"), base_version=1)
            for i in order
        ]
        return {"device_id": device, "records": records}

    server = Server(str(db.engine.url.render_as_string(hide_password=False)), workers=2)
    try:
        bodies = [edits("甲", range(size)), edits("乙", reversed(range(size)))]
        answers = together(server, token, bodies)
        assert sorted(status for status, _ in answers) == [200, 200]
        outcomes = [r["outcome"] for _, payload in answers for r in payload["results"]]
        assert sorted(set(outcomes)) == ["conflict", "updated"]
        assert outcomes.count("updated") == size  # every person edited once, the rest conflicts
        # the first to lock the people edited them all; the other, let through, found each stale
        by_device = sorted(",".join({r["outcome"] for r in p["results"]}) for _, p in answers)
        assert by_device == ["conflict", "updated"]
    finally:
        server.close()
