"""The street desk: approval writes what a sync upload of the same record writes, rejection
changes nothing, a record changed since triage is never silently overwritten, scope is the
street's, values are masked, and every write and disclosure is audited."""

import json

import pytest
from sqlalchemy import select, text

from gridgov.audit.models import AuditEvent
from gridgov.clock import district_today
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people.models import Person
from tests import factories as f
from tests.declarations import helpers as d

SAME = {
    "name": "同名人",
    "phone": "13800002222",
    "ethnicity": "01",
    "capture_method": "card_reader",
}


@pytest.fixture
def desk(client, worker):
    d.rules(client, 0.0)
    return f.auth_as(client, "street_staff", [d.STREET], username="desk_li")


@pytest.fixture
def neighbour(client, worker):
    return f.auth_as(client, "street_staff", [d.OTHER_STREET], username="desk_east")


def decide(client, headers, decl_id, status=200, **body):
    response = client.post(f"/api/v1/declarations/{decl_id}/decide", json=body, headers=headers)
    assert response.status_code == status, response.json
    return response.json


def the_id(client, desk, reference, **query):
    [item] = [i for i in d.queue(client, desk, **query) if i["reference"] == reference]
    return item["id"]


def stats(client, headers, code=f.OWN_CELL):
    response = client.get(f"/api/v1/stats/{code}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def numbers(value, path=""):
    """Every number in a JSON value by its path."""
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in numbers(item, f"{path}.{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in numbers(item, f"{path}.{i}").items()
        }
    return {path: value} if isinstance(value, int | float) and not isinstance(value, bool) else {}


def delta(before, after):
    a, b = numbers(before), numbers(after)
    return {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b) if b.get(k, 0) != a.get(k, 0)}


def person_row(seq):
    index_free = text(
        "SELECT p.id, p.kind, p.capture_method, p.name, p.sex, p.sex_mismatch, p.birth_date, "
        "p.ethnicity, p.phone_masked, p.phone_index IS NOT NULL AS phone, p.origin_code, "
        "p.inflow_reason, p.arrival_date, p.special_concern, p.details, p.grid_code, "
        "p.version, p.id_kind, p.house_id = r.house_id AS lives_there, r.moved_in, r.moved_out "
        "FROM persons p JOIN residences r ON r.person_id = p.id WHERE p.id_masked LIKE :tail"
    )
    row = db.session.execute(index_free, {"tail": "%" + f.id_number(seq)[-4:]}).mappings().one()
    return {k: v for k, v in row.items() if k != "id"}, row["id"]


def trail(person_id):
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.after).where(
            AuditEvent.entity_key == str(person_id), AuditEvent.entity_type == "person"
        )
    ).all()
    return [
        (a, {k: v for k, v in after.items() if k not in ("id", "id_number", "house")})
        for a, after in rows
    ]


def test_approval_writes_exactly_what_a_sync_upload_of_the_same_record_writes(
    client, worker, house, desk
):
    district = f.auth_as(client, "district_staff", [f.DISTRICT])
    [twin_house] = f.upload(client, worker, f.envelope("house", f.house_data(room="102")))
    start = stats(client, district)
    answer = d.declare(client, d.body(21, house, person=d.person(21, **SAME)))
    assert answer["route"] == "desk"
    decided = decide(client, desk, the_id(client, desk, answer["reference"]), decision="approve")
    assert decided["state"] == "approved" and decided["record"]["outcome"] == "created"
    declared = stats(client, district)
    upload = f.person_data(23, twin_house["key"], kind="resident", **SAME)
    upload["moved_in"] = district_today().isoformat()
    [uploaded] = f.upload(client, worker, f.envelope("person", upload))
    assert uploaded["outcome"] == "created"
    synced = stats(client, district)
    (approved, a_id), (twin, b_id) = person_row(21), person_row(23)
    assert approved == twin
    assert delta(start, declared) == delta(declared, synced) != {}
    assert trail(a_id) == trail(b_id) and trail(a_id)[0][0] == "create_person"
    feed = db.session.execute(
        text("SELECT record_key, grid_code, op FROM changes WHERE record_type = 'person'")
    ).all()
    assert sorted((k, g, o) for k, g, o in feed) == [
        (str(a_id), f.OWN_CELL, "upsert"),
        (str(b_id), f.OWN_CELL, "upsert"),
    ]


def test_a_rejected_declaration_changes_nothing_and_the_resident_reads_why(
    client, worker, house, desk
):
    district = f.auth_as(client, "district_staff", [f.DISTRICT])
    before = stats(client, district)
    answer = d.declare(client, d.body(22, house))
    decl_id = the_id(client, desk, answer["reference"])
    no_reason = decide(client, desk, decl_id, status=422, decision="reject", reason=" .")
    assert no_reason["errors"][0]["field"] == "reason"
    decide(client, desk, decl_id, decision="reject", reason="房屋地址与门牌不符")
    assert stats(client, district) == before
    assert db.session.scalar(select(Person.id)) is None
    status = client.get(
        f"/api/v1/declarations/{answer['reference']}",
        query_string={"id_last4": f.id_number(22)[-4:]},
    ).json
    assert (status["state"], status["reason"]) == ("rejected", "房屋地址与门牌不符")
    assert status["decided_at"] is not None
    again = decide(client, desk, decl_id, status=409, decision="approve")
    assert again["code"] == "decided"


def test_a_record_changed_since_triage_is_shown_stale_and_not_silently_overwritten(
    client, worker, house, desk
):
    data = f.person_data(24, house, kind="resident", name="测试24")
    f.upload(client, worker, f.envelope("person", data))
    answer = d.declare(
        client, d.body(24, house, person=d.person(24, name="测试24", phone="13700004444"))
    )
    decl_id = the_id(client, desk, answer["reference"])
    # A grid worker changes the record meanwhile.
    f.upload(client, worker, f.envelope("person", {**data, "occupation": "教师"}, base_version=1))
    [item] = d.queue(client, desk)
    assert item["stale"] is True and (item["record_version"], item["current_version"]) == (1, 2)
    stale = decide(client, desk, decl_id, status=409, decision="approve")
    assert stale["code"] == "stale" and "version 1 then, 2 now" in stale["detail"]
    review = client.get(f"/api/v1/declarations/{decl_id}/review", headers=desk).json
    assert review["record"]["version"] == 2 and review["record"]["details"]["occupation"] == "教师"
    decide(client, desk, decl_id, decision="approve", confirm_stale=True)
    person = db.session.scalar(select(Person))
    assert (person.phone_masked, person.details["occupation"], person.version) == (
        "137****4444",
        "教师",
        3,
    )


def test_staff_of_another_street_cannot_see_or_decide_and_hear_what_an_unknown_id_gets(
    client, worker, house, desk, neighbour
):
    answer = d.declare(client, d.body(25, house))
    decl_id = the_id(client, desk, answer["reference"])
    assert d.queue(client, neighbour) == []
    for method, path, body in (
        ("GET", "/api/v1/declarations/{}/review", None),
        ("POST", "/api/v1/declarations/{}/decide", {"decision": "approve"}),
    ):
        theirs = client.open(path.format(decl_id), method=method, json=body, headers=neighbour)
        absent = client.open(path.format(999_999), method=method, json=body, headers=neighbour)
        assert theirs.status_code == absent.status_code == 404
        assert theirs.json == {
            **absent.json,
            "detail": absent.json["detail"].replace("999999", str(decl_id)),
        }
    bulk = client.post(
        "/api/v1/declarations/decide",
        json={"ids": [decl_id], "decision": "approve"},
        headers=neighbour,
    ).json
    assert bulk["results"][0]["status"] == 404 and bulk["approved"] == 0
    assert d.queue(client, desk)[0]["state"] == "triaged"


def test_the_queue_shows_only_masked_personal_values(client, worker, house, desk):
    number = f.id_number(26)
    d.declare(client, d.body(26, house, person=d.person(26, name="王小明", phone="13712345678")))
    response = client.get("/api/v1/declarations", headers=desk)
    text_ = response.get_data(as_text=True)
    assert number not in text_ and "13712345678" not in text_
    [item] = response.json["declarations"]
    assert item["id_number"] == number[:6] + "********" + number[-4:] and item["name"] == "王**"
    # Names are shown to staff of the area as GET /persons shows them: in the difference.
    assert {"field": "phone", "ours": None, "theirs": "137****5678"} in item["diff"]


def test_every_write_and_disclosure_leaves_an_audit_row(client, worker, house, desk):
    answer = d.declare(client, d.body(27, house))
    decl_id = the_id(client, desk, answer["reference"])
    client.get(f"/api/v1/declarations/{decl_id}/review", headers=desk)
    decide(client, desk, decl_id, decision="approve")
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(
            AuditEvent.action.in_(
                (
                    "declare",
                    "review_declaration",
                    "decide_declaration",
                    "create_person",
                    "replace_triage_rules",
                )
            )
        )
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "replace_triage_rules",
        "declare",
        "review_declaration",
        "create_person",
        "decide_declaration",
    ]
    logged = json.dumps(
        [r.after for r in db.session.scalars(select(AuditEvent))], ensure_ascii=False
    )
    assert f.id_number(27) not in logged


def test_bulk_approval_takes_desk_checks_and_refuses_the_others_one_by_one(
    client, worker, house, desk
):
    ids = [
        the_id(
            client, desk, d.declare(client, d.body(s, house), address=f"10.6.0.{s}")["reference"]
        )
        for s in (28, 29)
    ]
    typed = d.declare(client, d.body(30, house, person=d.person(30, capture_method="typed")))
    visit = the_id(client, desk, typed["reference"])
    bulk = client.post(
        "/api/v1/declarations/decide",
        json={"ids": [*ids, visit], "decision": "approve"},
        headers=desk,
    ).json
    assert [r["status"] for r in bulk["results"]] == [200, 200, 409]
    assert bulk["results"][2]["code"] == "not_desk_route" and bulk["approved"] == 2
    assert db.session.scalar(text("SELECT count(*) FROM persons")) == 2


def test_the_desk_sends_a_door_visit_and_a_rejection_withdraws_it(client, worker, house, desk):
    answer = d.declare(client, d.body(32, house))
    decl_id = the_id(client, desk, answer["reference"])
    sent = decide(client, desk, decl_id, decision="visit", reason="电话核实不上")
    assert sent["state"] == "visiting"
    feed = client.get("/api/v1/sync/changes?limit=100", headers=worker).json["changes"]
    [task] = [c for c in feed if c["type"] == "visit"]
    decide(client, desk, decl_id, decision="reject", reason="本人撤回申报")
    feed = client.get("/api/v1/sync/changes?limit=100", headers=worker).json["changes"]
    assert [c["op"] for c in feed if c["type"] == "visit" and c["key"] == task["key"]][
        -1
    ] != "upsert"


def test_the_purge_erases_personal_fields_and_keeps_the_decision(client, cli, worker, house, desk):
    answer = d.declare(client, d.body(33, house))
    decl_id = the_id(client, desk, answer["reference"])
    decide(client, desk, decl_id, decision="reject", reason="重复申报")
    kept = cli.invoke(args=["declarations", "purge"])
    assert "purged 0" in kept.output
    db.session.execute(text("UPDATE declarations SET purge_after = purge_after - 181"))
    db.session.commit()
    result = cli.invoke(args=["declarations", "purge"])
    assert "purged 1" in result.output, result.output
    row = db.session.execute(text("SELECT * FROM declarations")).mappings().one()
    assert [row[k] for k in ("id_index", "id_masked", "name_masked", "body_sealed", "diff")] == [
        None
    ] * 5
    assert (row["state"], row["reason"], row["rule_name"]) == ("rejected", "重复申报", "default")
    assert row["decided_at"] is not None and row["purged_at"] is not None


def test_a_house_declared_by_address_is_approved_once_a_worker_registers_it(
    client, worker, house, desk
):
    address = {
        "community_code": "440303001001",
        "compound": "翠竹苑",
        "building": "9栋",
        "unit": "1",
        "room": "901",
    }
    answer = d.declare(client, {"person": d.person(34), "address": address})
    decl_id = the_id(client, desk, answer["reference"])
    waiting = decide(client, desk, decl_id, status=409, decision="approve")
    assert waiting["code"] == "house_not_on_record"
    data = f.house_data(building="9栋", floor=9, room="901")
    [h] = f.upload(client, worker, f.envelope("house", data))
    decided = decide(client, desk, decl_id, decision="approve")
    assert decided["record"]["outcome"] == "created"
    person = db.session.scalar(select(Person))
    assert db.session.scalar(select(House.code).where(House.id == person.house_id)) == h["key"]
