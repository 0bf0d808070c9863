"""The desk's door visits through the API: issued for a house of the street, listed for
supervision, read by the devices of the house's cell, withdrawn; beyond the caller's areas a
task or a house reads exactly as one nobody has."""

from tests import factories as f
from tests.visits.helpers import NEIGHBOUR_CELL, STREET, issue_via_api

OTHER_STREET = "440303002000"


def _same_refusal(a, b, key_a: str, key_b: str) -> None:
    assert a.status_code == b.status_code == 404
    assert a.json["code"] == b.json["code"]
    assert a.json["detail"].replace(key_a, "K") == b.json["detail"].replace(key_b, "K")


def test_street_staff_issue_a_door_visit_and_see_it_in_the_supervision_list(client, worker, house):
    staff = f.auth_as(client, "street_staff", [STREET], username="desk")
    task = issue_via_api(client, staff, house, "抽查入户")
    assert (task["house"], task["grid"], task["state"]) == (house, f.OWN_CELL, "open")
    assert task["subject_type"] == "house_check" and task["issued_by"] == "desk"
    listed = client.get("/api/v1/visits?state=open", headers=staff).json
    assert [v["id"] for v in listed["visits"]] == [task["id"]] and listed["next"] is None
    by_cell = client.get(f"/api/v1/visits?area={NEIGHBOUR_CELL}", headers=staff).json
    assert by_cell["visits"] == []
    assert client.get("/api/v1/visits?state=done", headers=staff).json["visits"] == []


def test_the_worker_of_the_cell_reads_the_task_and_a_neighbour_reads_the_same_404_as_unknown(
    client, worker, house
):
    staff = f.auth_as(client, "street_staff", [STREET], username="desk")
    task_id = issue_via_api(client, staff, house)["id"]
    mine = client.get(f"/api/v1/visits/{task_id}", headers=worker)
    assert mine.status_code == 200 and mine.json["house"] == house
    neighbour = f.auth_as(client, "grid_worker", [NEIGHBOUR_CELL], username="li")
    theirs = client.get(f"/api/v1/visits/{task_id}", headers=neighbour)
    absent = client.get("/api/v1/visits/987654321", headers=neighbour)
    _same_refusal(theirs, absent, str(task_id), "987654321")
    assert client.get("/api/v1/visits", headers=neighbour).json["visits"] == []


def test_another_streets_staff_cannot_issue_for_or_withdraw_a_task_and_learn_nothing(
    client, worker, house
):
    staff = f.auth_as(client, "street_staff", [STREET], username="desk")
    task_id = issue_via_api(client, staff, house)["id"]
    other = f.auth_as(client, "street_staff", [OTHER_STREET], username="zhao")
    absent_code = house[:-4] + "9999"
    theirs = client.post(
        "/api/v1/visits", json={"house_code": house, "reason": "抽查"}, headers=other
    )
    absent = client.post(
        "/api/v1/visits", json={"house_code": absent_code, "reason": "抽查"}, headers=other
    )
    _same_refusal(theirs, absent, house, absent_code)
    body = {"reason": "不需要了"}
    theirs = client.post(f"/api/v1/visits/{task_id}/withdraw", json=body, headers=other)
    absent = client.post("/api/v1/visits/987654321/withdraw", json=body, headers=other)
    _same_refusal(theirs, absent, str(task_id), "987654321")
    assert client.get(f"/api/v1/visits/{task_id}", headers=staff).json["state"] == "open"


def test_a_grid_worker_cannot_issue_and_a_task_is_withdrawn_once(client, worker, house):
    refused = client.post(
        "/api/v1/visits", json={"house_code": house, "reason": "抽查"}, headers=worker
    )
    assert refused.status_code == 403
    staff = f.auth_as(client, "street_staff", [STREET], username="desk")
    task_id = issue_via_api(client, staff, house)["id"]
    path = f"/api/v1/visits/{task_id}/withdraw"
    short = client.post(path, json={"reason": " "}, headers=staff)
    assert short.status_code == 422 and short.json["errors"][0]["field"] == "reason"
    first = client.post(path, json={"reason": "误派任务"}, headers=staff)
    assert first.status_code == 200 and first.json["withdrawn_reason"] == "误派任务"
    again = client.post(path, json={"reason": "误派任务"}, headers=staff)
    assert again.status_code == 409 and again.json["code"] == "visit_not_open"
