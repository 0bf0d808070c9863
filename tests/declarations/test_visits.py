"""Declarations sent to the door: the task reaches the worker's change feed, the result comes
back through /sync/upload, and what it found decides the declaration (a confirming visit with a
valid proof approves it; anything else returns it to the desk, a bad proof flagged)."""

import pytest
from sqlalchemy import select, text

from gridgov.declarations import configure, current
from gridgov.extensions import db
from gridgov.people.models import Person
from tests import factories as f
from tests.declarations import helpers as d
from tests.visits.helpers import FAR, result_record


@pytest.fixture
def desk(client, worker):
    d.rules(client, 0.0)
    return f.auth_as(client, "street_staff", [d.STREET], username="desk_li")


@pytest.fixture
def rented(client, worker):
    data = f.house_data(room="102", rented=True, rental=f.rental_data())
    [h] = f.upload(client, worker, f.envelope("house", data))
    return h["key"]


def sent_to_the_door(client, worker, rented, seq=91):
    """A new floating person in a rented house: triage sends a visit; the worker's feed has it."""
    answer = d.declare(client, d.body(seq, rented, kind="floating"))
    assert (answer["route"], answer["state"]) == ("visit", "visiting")
    changes = client.get("/api/v1/sync/changes?limit=500", headers=worker).json["changes"]
    [task] = [c for c in changes if c["type"] == "visit" and c["op"] == "upsert"]
    return answer["reference"], int(task["key"]), task


def state_of(client, desk, reference):
    [item] = [
        i
        for state in ("visiting", "reviewed", "approved")
        for i in d.queue(client, desk, state=state)
        if i["reference"] == reference
    ]
    return item


def test_a_confirming_visit_uploaded_through_sync_approves_the_declaration(
    client, worker, rented, desk
):
    reference, task_id, task = sent_to_the_door(client, worker, rented)
    assert task["record"]["subject"]["reference"] == reference
    assert "*" in task["record"]["subject"]["id_number"]
    assert db.session.scalar(select(Person.id)) is None
    [outcome] = f.upload(client, worker, result_record(task_id, "confirmed"))
    assert outcome["outcome"] == "created", outcome
    item = state_of(client, desk, reference)
    assert item["state"] == "approved"
    person = db.session.scalar(select(Person))
    assert (person.name, person.kind, person.grid_code) == ("申报91", "floating", f.OWN_CELL)
    assert person.arrival_date.isoformat() == "2026-03-01"


def test_a_visit_that_finds_differences_returns_the_corrected_fields_to_the_desk(
    client, worker, rented, desk
):
    reference, task_id, _ = sent_to_the_door(client, worker, rented)
    corrected = {"phone": "13611112222", "name": "申报九一"}
    f.upload(client, worker, result_record(task_id, "differs", corrected=corrected))
    item = state_of(client, desk, reference)
    assert item["state"] == "reviewed"
    assert {"field": "phone", "ours": None, "theirs": "136****2222"} in item["diff"]
    decided = client.post(
        f"/api/v1/declarations/{item['id']}/decide", json={"decision": "approve"}, headers=desk
    )
    assert decided.status_code == 200, decided.json
    person = db.session.scalar(select(Person))
    assert (person.name, person.phone_masked) == ("申报九一", "136****2222")


@pytest.mark.parametrize("result", ["nobody_there", "refused"])
def test_nobody_there_or_a_refusal_puts_it_back_on_the_desk_queue_with_the_note(
    client, worker, rented, desk, result
):
    reference, task_id, _ = sent_to_the_door(client, worker, rented)
    f.upload(client, worker, result_record(task_id, result))
    [item] = d.queue(client, desk)
    assert (item["reference"], item["state"]) == (reference, "reviewed")
    review = client.get(f"/api/v1/declarations/{item['id']}/review", headers=desk).json
    assert review["events"][-1]["reason"] in ("上门无人", "上门被拒")
    assert db.session.scalar(select(Person.id)) is None


def test_a_result_without_a_valid_proof_is_flagged_and_never_approves(client, worker, rented, desk):
    reference, task_id, _ = sent_to_the_door(client, worker, rented)
    [outcome] = f.upload(client, worker, result_record(task_id, "confirmed", position=FAR))
    assert outcome["outcome"] == "flagged"
    [item] = d.queue(client, desk)
    assert item["state"] == "reviewed" and item["flags"] == ["proof_not_ok"]
    assert db.session.scalar(select(Person.id)) is None


def test_a_confirming_visit_returns_to_the_desk_when_configured_so(client, worker, rented, desk):
    saved = current()
    configure(type(saved)(**{**saved.__dict__, "visit_confirm_approves": False}))
    try:
        reference, task_id, _ = sent_to_the_door(client, worker, rented)
        f.upload(client, worker, result_record(task_id, "confirmed"))
    finally:
        configure(saved)
    [item] = d.queue(client, desk)
    assert (item["reference"], item["state"]) == (reference, "reviewed")
    assert db.session.scalar(select(Person.id)) is None


def test_a_confirmation_the_record_cannot_take_returns_to_the_desk_and_the_result_is_kept(
    client, worker, house, rented, desk
):
    # On record since two days ago elsewhere; the declaration says they arrived in March.
    f.upload(client, worker, f.envelope("person", f.person_data(93, house)))
    answer = d.declare(client, d.body(93, rented, kind="floating", person=d.person(93, "floating")))
    assert answer["state"] == "visiting"
    changes = client.get("/api/v1/sync/changes?limit=500", headers=worker).json["changes"]
    [task] = [c for c in changes if c["type"] == "visit" and c["op"] == "upsert"]
    [outcome] = f.upload(client, worker, result_record(int(task["key"]), "confirmed"))
    assert outcome["outcome"] == "created"
    [item] = d.queue(client, desk)
    assert item["state"] == "reviewed"
    review = client.get(f"/api/v1/declarations/{item['id']}/review", headers=desk).json
    assert "自动审批未成" in review["events"][-1]["reason"]
    assert db.session.scalar(select(Person.house_id)) is not None


def visit_rows(reference: str) -> tuple:
    """What issuing a declaration's visit wrote: the task, its feed changes, its audit row and
    the declaration's events, without the keys that differ from one visit to another."""
    decl_id, task_id = db.session.execute(
        text("SELECT id, visit_task_id FROM declarations WHERE reference = :r"), {"r": reference}
    ).one()
    task = db.session.execute(
        text(
            "SELECT house_id, grid_code, subject_type, subject_id = :d, reason, state"
            " FROM visit_tasks WHERE id = :t"
        ),
        {"d": decl_id, "t": task_id},
    ).one()
    feed = db.session.execute(
        text("SELECT grid_code, op FROM changes WHERE record_type = 'visit' AND record_key = :k"),
        {"k": str(task_id)},
    ).all()
    [after] = db.session.scalars(
        text("SELECT after FROM audit_events WHERE action = 'issue_visit' AND entity_key = :k"),
        {"k": str(task_id)},
    ).all()
    events = db.session.execute(
        text(
            "SELECT from_state, to_state FROM declaration_events WHERE declaration_id = :d"
            " ORDER BY id"
        ),
        {"d": decl_id},
    ).all()
    assert after.pop("subject_id") == decl_id
    return tuple(task), feed, after, events


def test_a_visit_triage_sends_is_written_as_one_the_desk_sends(client, worker, rented, desk):
    """Triage writes its visit in the declaration's own statement, the desk through
    gridgov.visits: the same task, feed change, audit row and events."""
    by_triage, _, _ = sent_to_the_door(client, worker, rented)
    by_desk = d.declare(client, d.body(92, rented), address="10.1.0.2")["reference"]
    [item] = [i for i in d.queue(client, desk) if i["reference"] == by_desk]
    response = client.post(
        f"/api/v1/declarations/{item['id']}/decide",
        json={"decision": "visit", "reason": "出租房新增流动人口"},
        headers=desk,
    )
    assert response.status_code == 200, response.json
    triage_task, triage_feed, triage_after, triage_events = visit_rows(by_triage)
    assert triage_task[-3:] == (True, "出租房新增流动人口", "open")
    assert visit_rows(by_desk) == (triage_task, triage_feed, triage_after, triage_events)
    assert triage_feed == [(triage_task[1], "upsert")]
    assert triage_events[-1] == ("triaged", "visiting")
