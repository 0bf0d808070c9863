"""A resident recorded in one street moves into a cell of another: the worker's record becomes a
transfer request that shows them nothing, and the staff of either side decide it."""

import pytest
from sqlalchemy import select

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.people.models import Person, Residence, TransferRequest
from tests import factories as f
from tests.stats.helpers import cell_point

EAST_CELL = "440303002001001"


@pytest.fixture
def moved(client, worker, house):
    """A person recorded in the west street (the worker's cell) and the east worker's house."""
    f.upload(client, worker, f.envelope("person", f.person_data(7, house, moved_in="2026-01-10")))
    east = f.auth_as(client, "grid_worker", [EAST_CELL], username="east_worker")
    point = cell_point(EAST_CELL, 1)
    [h] = f.upload(client, east, f.envelope("house", f.house_data(point=point), position=point))
    return east, h["key"], point


def ask(client, east, number, house_code, point, op="move", **extra):
    data = {"id_number": number, "house_code": house_code, **extra}
    if op == "upsert":
        data = f.person_data(int(number[14:17]), house_code, id_number=number, **extra)
    [result] = f.upload(client, east, f.envelope("person", data, op=op, position=point))
    return result


def test_a_move_from_another_street_is_a_request_that_shows_nothing(client, moved):
    east, code, point = moved
    theirs = ask(client, east, f.id_number(7), code, point, moved_in="2026-11-20")
    nobody = ask(client, east, f.id_number(8), code, point, moved_in="2026-11-20")
    for result in (theirs, nobody):
        assert (result["outcome"], result["status"]) == ("transfer_requested", 202)
        assert "version" not in result
    assert {k: v for k, v in theirs.items() if k not in ("uuid", "key")} == {
        k: v for k, v in nobody.items() if k not in ("uuid", "key")
    }
    person = db.session.scalar(select(Person))
    assert person.grid_code == f.OWN_CELL and person.version == 1  # nothing moved yet
    listed = client.get("/api/v1/persons/transfers", headers=east)
    assert listed.status_code == 403  # workers do not decide


def test_the_side_the_person_is_recorded_in_sees_them_and_accepts(client, moved):
    east, code, point = moved
    request = ask(client, east, f.id_number(7), code, point, moved_in="2026-11-20")
    west = f.auth_as(client, "street_staff", ["440303001000"], username="west_desk")
    east_desk = f.auth_as(client, "street_staff", ["440303002000"], username="east_desk")
    [seen_west] = client.get("/api/v1/persons/transfers", headers=west).json["transfers"]
    [seen_east] = client.get("/api/v1/persons/transfers", headers=east_desk).json["transfers"]
    assert seen_west["person"]["name"] == "测试7" and seen_east["person"] is None
    assert seen_east["id_number"] == f.id_number(7)[:6] + "*" * 8 + f.id_number(7)[-4:]
    assert (seen_west["house"], seen_west["moved_in"]) == (code, "2026-11-20")
    decided = client.post(
        f"/api/v1/persons/transfers/{request['key']}/decide",
        json={"decision": "accept"},
        headers=west,
    )
    assert decided.json["status"] == "accepted" and decided.json["person"]["version"] == 2
    person = db.session.scalar(select(Person))
    assert person.grid_code == EAST_CELL
    history = db.session.execute(
        select(Residence.moved_in, Residence.moved_out).order_by(Residence.id)
    ).all()
    assert [(str(a), str(b) if b else None) for a, b in history] == [
        ("2026-01-10", "2026-11-20"),
        ("2026-11-20", None),
    ]
    # Now the east worker may read them (and the west desk no longer); decided once.
    assert client.get(f"/api/v1/persons/{person.id}", headers=east).status_code == 200
    again = client.post(
        f"/api/v1/persons/transfers/{request['key']}/decide",
        json={"decision": "accept"},
        headers=east_desk,
    )
    assert (again.status_code, again.json["code"]) == (409, "decided")
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type.in_(("transfer", "person")))
        .order_by(AuditEvent.id)
    ).all()
    assert actions[-3:] == ["request_transfer", "move_person", "decide_transfer"]


def test_a_refusal_needs_a_reason_and_moves_nobody(client, moved):
    east, code, point = moved
    request = ask(client, east, f.id_number(7), code, point)
    east_desk = f.auth_as(client, "street_staff", ["440303002000"], username="east_desk")
    url = f"/api/v1/persons/transfers/{request['key']}/decide"
    bare = client.post(url, json={"decision": "refuse", "reason": "  "}, headers=east_desk)
    assert bare.status_code == 422 and bare.json["errors"][0]["field"] == "reason"
    refused = client.post(url, json={"decision": "refuse", "reason": "上门未见"}, headers=east_desk)
    assert refused.json == {"transfer": int(request["key"]), "status": "refused", "person": None}
    assert db.session.scalar(select(Person.grid_code)) == f.OWN_CELL
    transfer = db.session.scalar(select(TransferRequest))
    assert (transfer.status, transfer.reason) == ("refused", "上门未见")


def test_a_request_for_nobody_on_record_cannot_be_accepted(client, moved):
    east, code, point = moved
    request = ask(client, east, f.id_number(8), code, point)
    east_desk = f.auth_as(client, "street_staff", ["440303002000"], username="east_desk")
    url = f"/api/v1/persons/transfers/{request['key']}/decide"
    response = client.post(url, json={"decision": "accept"}, headers=east_desk)
    assert (response.status_code, response.json["code"]) == (409, "not_on_record")


def test_staff_of_neither_side_find_no_request(client, moved):
    east, code, point = moved
    request = ask(client, east, f.id_number(8), code, point)  # nobody: only the east side
    west = f.auth_as(client, "street_staff", ["440303001000"], username="west_desk")
    assert client.get("/api/v1/persons/transfers", headers=west).json["transfers"] == []
    theirs = client.post(
        f"/api/v1/persons/transfers/{request['key']}/decide",
        json={"decision": "accept"},
        headers=west,
    )
    absent = client.post(
        "/api/v1/persons/transfers/99999/decide", json={"decision": "accept"}, headers=west
    )
    assert theirs.status_code == absent.status_code == 404
    assert theirs.json["detail"].replace(request["key"], "99999") == absent.json["detail"]


def test_registering_someone_recorded_elsewhere_is_a_request_too(client, moved):
    east, code, point = moved
    result = ask(client, east, f.id_number(7), code, point, op="upsert")
    assert result["outcome"] == "transfer_requested" and "version" not in result
    assert db.session.scalar(select(Person.name)) == "测试7"
