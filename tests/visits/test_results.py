"""Door-visit results come through /sync/upload with a proof of visit the server checks: each
fault is named, a result without a valid proof is kept and flagged, a valid one closes the task
and is handed to its subject, and a retried upload is replayed."""

import json
from datetime import timedelta

from sqlalchemy import func, select, text

from gridgov.extensions import db
from gridgov.visits import service as visits
from gridgov.visits import subjects
from gridgov.visits.models import VisitResult, VisitTask
from tests import factories as f
from tests.visits.helpers import (
    FAR,
    NEIGHBOUR_CELL,
    STREET,
    desk_writer,
    feed,
    house_id,
    issue_via_api,
    now,
    result_record,
    visits_in,
)

SEEN = []  # what the test subject was told, in order


def _seen(w, subject_id, result, corrected, proof_ok):
    SEEN.append((subject_id, result, corrected, proof_ok))


subjects.register("test_subject", _seen)


def _staff(client):
    return f.auth_as(client, "street_staff", [STREET], username="desk")


def _task(client, staff, house) -> int:
    return issue_via_api(client, staff, house)["id"]


def _shown(client, staff, task_id) -> dict:
    response = client.get(f"/api/v1/visits/{task_id}", headers=staff)
    assert response.status_code == 200, response.json
    return response.json


def test_a_result_near_the_house_after_the_issue_is_proof_ok_and_closes_the_task(
    client, worker, house
):
    staff = _staff(client)
    task_id = _task(client, staff, house)
    cursor = feed(client, worker)["cursor"]
    [outcome] = f.upload(client, worker, result_record(task_id, note="户主在家"))
    assert (outcome["outcome"], outcome["status"]) == ("created", 201)
    shown = _shown(client, staff, task_id)
    assert shown["state"] == "done" and shown["done_at"]
    [result] = shown["results"]
    assert result["proof_ok"] is True and result["proof_faults"] == []
    assert 10 < result["distance_m"] < 40 and result["uploaded_by"] == "wang"
    assert result["note"] == "户主在家" and result["device_id"] == "pda-1"
    assert visits_in(feed(client, worker, cursor)) == [(str(task_id), "delete")]


def test_a_valid_result_is_handed_to_its_subject_with_the_corrections(app, client, worker, house):
    SEEN.clear()
    w = desk_writer(app)
    task_id = visits.issue(w, house_id(house), "test_subject", 77, "核对申报")
    db.session.commit()
    corrected = {"phone": "13700001111", "occupation": "厨师"}
    [outcome] = f.upload(client, worker, result_record(task_id, "differs", corrected=corrected))
    assert outcome["outcome"] == "created"
    assert SEEN == [(77, "differs", corrected, True)]
    stored = db.session.scalar(select(VisitResult))
    assert stored.corrected == {"phone": "137****1111", "occupation": "厨师"}
    assert b"13700001111" not in bytes(stored.corrected_sealed)


def test_a_result_captured_too_far_from_the_house_is_flagged_and_kept(client, worker, house):
    staff = _staff(client)
    task_id = _task(client, staff, house)
    [outcome] = f.upload(client, worker, result_record(task_id, position=FAR))
    assert (outcome["outcome"], outcome["flags"]) == ("flagged", ["position_too_far"])
    shown = _shown(client, staff, task_id)
    assert shown["state"] == "open"
    [result] = shown["results"]
    assert result["proof_ok"] is False and result["proof_faults"] == ["position_too_far"]
    assert 250 < result["distance_m"] < 400


def test_a_result_captured_before_the_task_was_issued_is_flagged(client, worker, house):
    staff = _staff(client)
    task_id = _task(client, staff, house)
    early = now() - timedelta(hours=1)
    [outcome] = f.upload(client, worker, result_record(task_id, captured_at=early))
    assert (outcome["outcome"], outcome["flags"]) == ("flagged", ["captured_before_issued"])
    assert db.session.scalar(select(func.count()).select_from(VisitResult)) == 1


def test_a_result_captured_after_the_withdrawal_is_flagged_with_both_faults(client, worker, house):
    staff = _staff(client)
    task_id = _task(client, staff, house)
    withdrawn = client.post(
        f"/api/v1/visits/{task_id}/withdraw", json={"reason": "申报已撤回"}, headers=staff
    )
    assert withdrawn.status_code == 200 and withdrawn.json["state"] == "withdrawn"
    [outcome] = f.upload(client, worker, result_record(task_id, captured_at=now()))
    assert outcome["outcome"] == "flagged"
    assert outcome["flags"] == ["captured_after_withdrawn", "task_not_open"]  # sorted
    assert _shown(client, staff, task_id)["results"][0]["proof_ok"] is False


def test_a_result_from_a_worker_of_another_cell_reads_as_unknown_yet_is_kept_flagged(
    client, worker, house
):
    staff = _staff(client)
    task_id = _task(client, staff, house)
    other = f.auth_as(client, "grid_worker", [NEIGHBOUR_CELL], username="li")
    [theirs] = f.upload(client, other, result_record(task_id))
    [absent] = f.upload(client, other, result_record(987654321))
    said = (theirs["outcome"], theirs["status"], theirs["code"])
    assert said == ("rejected", 404, "unknown_visit")
    assert theirs["detail"].replace(str(task_id), "N") == absent["detail"].replace("987654321", "N")
    shown = _shown(client, staff, task_id)
    assert shown["state"] == "open"
    [kept] = shown["results"]
    assert kept["uploaded_by"] == "li" and kept["proof_faults"] == ["worker_outside_cell"]


def test_a_result_without_a_position_or_for_a_house_without_a_point_names_the_fault(
    client, worker, house
):
    staff = _staff(client)
    task_id = _task(client, staff, house)
    [blind] = f.upload(client, worker, result_record(task_id, position=None))
    assert blind["flags"] == ["no_position"]
    db.session.execute(text("UPDATE houses SET geom = NULL WHERE code = :c"), {"c": house})
    db.session.commit()
    [pointless] = f.upload(client, worker, result_record(task_id))
    assert pointless["flags"] == ["house_has_no_point"]


def test_a_retried_upload_of_the_same_result_is_replayed_not_duplicated(client, worker, house):
    staff = _staff(client)
    task_id = _task(client, staff, house)
    record = result_record(task_id)
    [first] = f.upload(client, worker, record)
    [again] = f.upload(client, worker, record)
    assert first["outcome"] == "created" and again == {**first, "replayed": True}
    assert db.session.scalar(select(func.count()).select_from(VisitResult)) == 1
    assert db.session.get(VisitTask, task_id).state == "done"


def test_a_second_result_after_the_task_was_done_is_flagged(client, worker, house):
    staff = _staff(client)
    task_id = _task(client, staff, house)
    f.upload(client, worker, result_record(task_id))
    [late] = f.upload(client, worker, result_record(task_id, "nobody_there"))
    assert late["outcome"] == "flagged" and "task_not_open" in late["flags"]
    assert "captured_after_done" in late["flags"]


def test_a_result_that_differs_must_say_what_was_found(client, worker, house):
    staff = _staff(client)
    task_id = _task(client, staff, house)
    [refused] = f.upload(client, worker, result_record(task_id, "differs"))
    assert (refused["outcome"], refused["status"]) == ("rejected", 422)
    assert refused["errors"][0]["field"] == "data.corrected"
    assert db.session.scalar(select(func.count()).select_from(VisitResult)) == 0


def test_unstorable_corrections_or_a_note_with_a_number_reject_that_record_alone(
    client, worker, house
):
    staff = _staff(client)
    task_id = _task(client, staff, house)
    nul = result_record(task_id, "differs", corrected={"name": "张\u0000三"})
    lone = result_record(task_id, "differs", corrected={"floating": {"origin": "a\ud800b"}})
    deep = result_record(task_id, "differs", corrected={"a": {"b": {"c": 1}}})
    number = result_record(task_id, "differs", corrected={"a": 1}, note="新电话13700001111")
    good = result_record(task_id, "differs", corrected={"occupation": "厨师"})
    body = {"device_id": "pda-1", "records": [nul, lone, deep, number, good]}
    # ASCII escapes carry the lone surrogate (the test client cannot encode it raw).
    response = client.post(
        "/api/v1/sync/upload",
        data=json.dumps(body),
        content_type="application/json",
        headers=worker,
    )
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert [r["outcome"] for r in results] == ["rejected"] * 4 + ["created"]
    assert {r["errors"][0]["field"] for r in results[:3]} == {"data.corrected"}
    assert results[3]["errors"][0]["field"] == "data.note"
    assert "13700001111" not in json.dumps(results)
