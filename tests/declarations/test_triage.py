"""Triage: each route with the rule that fired, by the versioned rules an admin replaces."""

import pytest

from tests import factories as f
from tests.declarations import helpers as d


@pytest.fixture
def desk(client, worker):
    d.rules(client, 0.0)
    return f.auth_as(client, "street_staff", [d.STREET], username="desk_li")


def on_record(client, worker, seq, house, **overrides):
    data = f.person_data(seq, house, kind="resident", **overrides)
    [result] = f.upload(client, worker, f.envelope("person", data))
    assert result["outcome"] == "created", result


def fired(client, desk, reference):
    [item] = [i for i in d.queue(client, desk) if i["reference"] == reference]
    return item["route"], item["rule"]["name"], item["rule"]["version"]


def test_a_declaration_identical_to_the_record_is_acknowledged_and_nothing_is_written(
    client, worker, house, desk
):
    on_record(client, worker, 11, house)
    answer = d.declare(client, d.body(11, house, person=d.person(11, name="测试11")))
    assert (answer["route"], answer["state"]) == ("no_change", "triaged")
    assert d.queue(client, desk) == []
    assert d.queue(client, desk, state="triaged", route="no_change")[0]["rule"] == {
        "name": "与登记一致",
        "version": 2,
    }


def test_a_changed_phone_goes_to_the_desk_with_the_masked_difference(client, worker, house, desk):
    on_record(client, worker, 11, house)
    answer = d.declare(
        client, d.body(11, house, person=d.person(11, name="测试11", phone="13700001111"))
    )
    assert (answer["route"], answer["state"]) == ("desk", "triaged")
    [item] = d.queue(client, desk)
    assert (item["rule"]["name"], item["rule"]["version"]) == ("电话号码变更", 2)
    assert item["diff"] == [{"field": "phone", "ours": "139****5678", "theirs": "137****1111"}]
    assert item["stale"] is False


def test_a_new_floating_person_in_a_rented_house_is_sent_to_the_door(client, worker, desk):
    data = f.house_data(room="102", rented=True, rental=f.rental_data())
    [h] = f.upload(client, worker, f.envelope("house", data))
    answer = d.declare(client, d.body(31, h["key"], kind="floating"))
    assert (answer["route"], answer["state"]) == ("visit", "visiting")
    assert fired(client, desk, answer["reference"])[:2] == ("visit", "出租房新增流动人口")
    feed = client.get("/api/v1/sync/changes?limit=100", headers=worker).json
    assert [c["type"] for c in feed["changes"]].count("visit") == 1


def test_a_house_with_more_than_six_occupants_after_the_change_is_sent_to_the_door(
    client, worker, house, desk
):
    household = [d.person(41 + i) for i in range(6)]
    answer = d.declare(client, d.body(40, house, household=household))
    assert answer["route"] == "visit" and len(answer["household"]) == 6
    assert fired(client, desk, answer["reference"])[1] == "房屋居住人数超过6人"
    assert {h["route"] for h in answer["household"]} == {"visit"}
    # Each member's answer in the shape of the declarer's: an ISO time in the district's zone.
    for member in answer["household"]:
        assert set(member) == {"reference", "state", "route", "submitted_at"}
        assert member["submitted_at"][:2] == "20" and member["submitted_at"].endswith("+08:00")
    # Declared, not yet approved: the house still has none on record.
    small = d.declare(client, d.body(60, house), address="10.1.0.2")
    assert fired(client, desk, small["reference"])[1] == "default"


def test_a_house_not_on_record_is_sent_to_the_door_and_waits_for_the_house(
    client, worker, house, desk
):
    address = {
        "community_code": "440303001001",
        "compound": "翠竹苑",
        "building": "9栋",
        "unit": "1",
        "room": "901",
    }
    answer = d.declare(client, {"person": d.person(12), "address": address})
    assert (answer["route"], answer["state"]) == ("visit", "triaged")
    assert fired(client, desk, answer["reference"])[1] == "房屋未登记"
    [item] = d.queue(client, desk)
    assert item["house"] is None and item["area"] == "440303001001"


def test_a_sex_that_disagrees_with_the_id_number_is_sent_to_the_door(client, worker, house, desk):
    answer = d.declare(client, d.body(13, house, person=d.person(13, sex="2")))
    assert fired(client, desk, answer["reference"])[:2] == ("visit", "性别与身份证号不符")


def test_someone_living_elsewhere_in_the_district_is_sent_to_the_door(client, worker, house, desk):
    on_record(client, worker, 14, house)
    [other] = f.upload(client, worker, f.envelope("house", f.house_data(room="103")))
    answer = d.declare(client, d.body(14, other["key"], person=d.person(14, name="测试14")))
    assert fired(client, desk, answer["reference"])[:2] == ("visit", "已在辖区他处居住")


def test_an_id_number_only_ever_typed_is_sent_to_the_door(client, worker, house, desk):
    answer = d.declare(client, d.body(15, house, person=d.person(15, capture_method="typed")))
    assert fired(client, desk, answer["reference"])[:2] == ("visit", "身份证号仅手工录入")
    # A resident typing the number of someone whose record was read from the card: not that.
    on_record(client, worker, 17, house)
    typed = d.person(17, name="测试17", phone="13700001111", capture_method="typed")
    answer = d.declare(client, d.body(17, house, person=typed), address="10.1.0.3")
    assert fired(client, desk, answer["reference"])[:2] == ("desk", "电话号码变更")


def test_a_sample_of_what_no_rule_catches_is_sent_to_the_door_anyway(client, worker, house, desk):
    answer = d.declare(client, d.body(16, house))
    assert fired(client, desk, answer["reference"])[:2] == ("desk", "default")
    d.rules(client, 1.0)
    answer = d.declare(client, d.body(18, house), address="10.1.0.4")
    assert fired(client, desk, answer["reference"]) == ("visit", "sample", 3)


def test_an_admin_replaces_the_rules_and_the_old_version_is_kept(client, worker, house, desk):
    admin = f.auth_as(client, "admin", [], username="admin_rules")
    before = d.declare(client, d.body(16, house))
    stored = d.rules(client, 0.0, [{"name": "全部上门", "kind": "new_person", "route": "visit"}])
    assert stored["version"] == 3 and stored["rules"][0]["params"] == {}
    after = d.declare(client, d.body(18, house), address="10.1.0.5")
    assert fired(client, desk, before["reference"])[1:] == ("default", 2)
    assert fired(client, desk, after["reference"])[1:] == ("全部上门", 3)
    assert client.get("/api/v1/declarations/rules", headers=admin).json["version"] == 3
    refused = client.put(
        "/api/v1/declarations/rules",
        json={
            "rules": [{"name": "x", "kind": "occupants_above", "route": "visit"}],
            "sample_rate": 0,
        },
        headers=admin,
    )
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "rules.0.params"
    denied = client.put(
        "/api/v1/declarations/rules", json={"rules": [], "sample_rate": 0}, headers=desk
    )
    assert denied.status_code == 403
