"""The public endpoints: bad input refused naming the field with nothing half-written,
throttling per address and per ID number, and the status page behind reference + last four."""

import io
import json
import threading
import time

import pytest
from sqlalchemy import func, select

from gridgov.audit.models import AuditEvent
from gridgov.declarations import configure, current
from gridgov.declarations.models import Declaration
from gridgov.extensions import db
from tests import factories as f
from tests.declarations import helpers as d


@pytest.fixture(autouse=True)
def no_sample(client, worker):
    d.rules(client, 0.0)


def refused(client, data, status=422, address="10.2.0.1") -> dict:
    answer = d.declare(client, data, address=address, status=status)
    assert answer["status"] == status
    return answer


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda b: b["person"].update(id_number=b["person"]["id_number"][:-1] + "0"),
            "person.id_number",
        ),
        (lambda b: b.update(house_code="4" * 25), "house_code"),
        (lambda b: b["floating"].update(arrival_date="2999-01-01"), "floating.arrival_date"),
        (
            lambda b: b["floating"].update(
                lease={"landlord_name": "陈", "start": "2026-05-01", "end": "2026-04-01"}
            ),
            "floating.lease.end",
        ),
        (lambda b: b["person"].update(ethnicity="99"), "person.ethnicity"),
        (
            lambda b: b["household"].append(d.person(52, id_number="110101199001011234")),
            "household.0.id_number",
        ),
    ],
    ids=["bad_id", "unknown_house", "future_arrival", "lease_backwards", "bad_code", "member"],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(client, house, change, field):
    data = d.body(51, house, kind="floating", household=[])
    change(data)
    answer = refused(client, data)
    assert field in [e["field"] for e in answer["errors"]], answer
    assert d.stored() == 0


def test_an_address_outside_the_district_is_refused(client, house):
    address = {"community_code": "110101001001", "compound": "甲", "building": "1", "room": "1"}
    answer = refused(client, {"person": d.person(51), "address": address})
    assert answer["errors"][0]["field"] == "address.community_code"
    both = refused(client, {**d.body(51, house), "address": address})
    assert both["code"] == "validation_failed"
    assert d.stored() == 0


def test_a_second_declaration_while_one_is_pending_answers_with_the_pending_reference(
    client, house
):
    first = d.declare(client, d.body(53, house))
    again = refused(client, d.body(53, house), status=409, address="10.2.0.9")
    assert again["code"] == "pending" and first["reference"] in again["detail"]
    assert again["errors"][0]["field"] == "person.id_number"
    assert d.stored() == 1


@pytest.mark.parametrize("household", [False, True], ids=["alone", "household"])
def test_a_declaration_racing_another_for_its_id_number_answers_with_the_one_that_won(
    app, client, house, household
):
    """Read before the other committed, written after: the unique index of pending
    declarations refuses it, and nothing of it is written (the household's either)."""
    data = d.body(55, house, household=[d.person(56)] if household else [])
    index = app.extensions["vault"].index(data["person"]["id_number"], "id_number")
    other = db.engine.raw_connection()
    other.cursor().execute(
        "INSERT INTO declarations (reference, state, street_code, community_code, area_code,"
        " id_index) VALUES ('SBRACEWINNER22', 'triaged', %s, %s, %s, %s)",
        (d.STREET, house[:12], house[:15], index),
    )
    answer = {}

    def declare():
        with app.app_context():
            answer["response"] = d.declare(client, data, status=409)

    racing = threading.Thread(target=declare)
    racing.start()
    try:
        assert waiting_on_a_lock(), "the declaration never waited for the other one"
    finally:
        other.commit()
        other.close()
        racing.join(timeout=30)
    problem = answer["response"]
    assert problem["code"] == "pending"
    assert problem["errors"] == [
        {"field": "person.id_number", "in": "body", "message": "SBRACEWINNER22"}
    ]
    assert d.stored() == 1
    declared = select(func.count()).where(AuditEvent.action == "declare")
    assert db.session.scalar(declared) == 0


def waiting_on_a_lock() -> bool:
    """Whether some session of this database waits for a lock, within ten seconds."""
    watch = db.engine.raw_connection()
    try:
        for _ in range(200):
            row = watch.cursor().execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if row.fetchone()[0]:
                return True
            watch.rollback()  # a fresh snapshot of the activity
            time.sleep(0.05)
        return False
    finally:
        watch.close()


def test_an_oversized_body_is_refused_before_it_is_read(client, house):
    data = d.body(54, house)
    data["person"]["occupation"] = "很" * 20_000
    answer = refused(client, data, status=413)
    assert answer["code"] == "request_entity_too_large"
    assert d.stored() == 0


def test_a_chunked_body_over_the_limit_is_refused_having_read_little_more_than_the_limit(
    app, client, house
):
    body = json.dumps({**d.body(57, house), "pad": "x" * 4_000_000}).encode()
    stream = io.BytesIO(body)
    response = client.post(
        "/api/v1/declarations",
        input_stream=stream,
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn sets it
    )
    assert response.status_code == 413, response.json
    assert stream.tell() <= 2 * app.config["GRIDGOV_DECLARATION_MAX_BYTES"]
    assert d.stored() == 0


def test_too_many_declarations_from_one_address_are_throttled_with_retry_after(app, client, house):
    saved = current()
    configure(type(saved)(**{**saved.__dict__, "per_address": 2}))
    try:
        for seq in (61, 63):
            d.declare(client, d.body(seq, house), address="10.3.0.1")
        response = client.post(
            "/api/v1/declarations",
            json=d.body(65, house),
            environ_overrides={"REMOTE_ADDR": "10.3.0.1"},
        )
        assert response.status_code == 429 and response.json["code"] == "address_throttled"
        assert 3500 <= int(response.headers["Retry-After"]) <= 3601
        d.declare(client, d.body(65, house), address="10.3.0.2")
    finally:
        configure(saved)
    assert d.stored() == 3


def test_too_many_declarations_for_one_id_number_are_throttled(client, house):
    reference = d.declare(client, d.body(71, house))["reference"]
    for i in range(2):
        d.declare(client, d.body(71, house), address=f"10.4.0.{i}", status=409)
    db.session.execute(
        Declaration.__table__.update().values(state="rejected", decided_at=func.now())
    )
    db.session.commit()
    for i in range(2):
        d.declare(client, d.body(71, house), address=f"10.4.1.{i}")
        db.session.execute(
            Declaration.__table__.update().values(state="rejected", decided_at=func.now())
        )
        db.session.commit()
    answer = refused(client, d.body(71, house), status=429, address="10.4.2.1")
    assert answer["code"] == "id_throttled" and reference


def test_the_status_shows_state_dates_and_masked_values_with_the_last_four(client, house):
    number = f.id_number(81)
    answer = d.declare(client, d.body(81, house))
    url = f"/api/v1/declarations/{answer['reference']}"
    status = client.get(url, query_string={"id_last4": number[-4:]})
    assert status.status_code == 200
    body = status.json
    assert body["state"] == "triaged" and [e["state"] for e in body["events"]] == [
        "submitted",
        "triaged",
    ]
    assert body["person"] == {
        "id_number": number[:6] + "*" * 8 + number[-4:],
        "name": "申***",
        "kind": "resident",
    }
    assert number not in status.get_data(as_text=True)


def test_a_wrong_last_four_and_an_unknown_reference_get_the_same_404(client, house):
    number = f.id_number(82)
    reference = d.declare(client, d.body(82, house))["reference"]
    wrong = "0000" if number[-4:] != "0000" else "1111"
    a = client.get(f"/api/v1/declarations/{reference}", query_string={"id_last4": wrong})
    b = client.get("/api/v1/declarations/SBAAAAAAAAAAAA", query_string={"id_last4": wrong})
    assert a.status_code == b.status_code == 404
    assert a.json == b.json


def test_guessing_the_last_four_stops_answering_after_ten_tries(client, house):
    number = f.id_number(83)
    reference = d.declare(client, d.body(83, house))["reference"]
    wrong = [f"{i:04d}" for i in range(20) if f"{i:04d}" != number[-4:]][:10]
    for guess in wrong:
        client.get(f"/api/v1/declarations/{reference}", query_string={"id_last4": guess})
    right = client.get(f"/api/v1/declarations/{reference}", query_string={"id_last4": number[-4:]})
    assert right.status_code == 404


def test_the_public_answer_never_shows_the_record(client, worker, house):
    data = f.person_data(84, house, kind="resident", name="档案里的名字")
    f.upload(client, worker, f.envelope("person", data))
    answer = client.post(
        "/api/v1/declarations",
        json=d.body(84, house),
        environ_overrides={"REMOTE_ADDR": "10.5.0.1"},
    )
    assert answer.status_code == 201
    assert set(answer.json) == {"reference", "state", "route", "submitted_at", "household"}
    assert answer.json["submitted_at"].startswith("20") and answer.json["reference"][:2] == "SB"
    assert "档案里的名字" not in answer.get_data(as_text=True)
