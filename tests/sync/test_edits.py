"""Edits made from what the server serves: fields left out keep their stored values, a masked
value sent back means "unchanged", and a record is addressed by its server key, so a device
never needs the plaintext numbers it is not shown."""

from tests import factories as f


def _person(client, worker, house, **overrides) -> dict:
    [created] = f.upload(client, worker, f.envelope("person", f.person_data(7, house, **overrides)))
    assert created["outcome"] == "created", created
    return client.get(f"/api/v1/persons/{created['key']}", headers=worker).json


def _reveal(client, person_id: int, field: str) -> str:
    staff = f.auth_as(client, "street_staff", ["440303001000"], username=f"desk_{field}")
    response = client.post(
        f"/api/v1/persons/{person_id}/reveal",
        json={"field": field, "reason": "核对编辑"},
        headers=staff,
    )
    assert response.status_code == 200, response.json
    return response.json["value"]


def test_a_person_renamed_by_key_keeps_the_sealed_phone_and_id_number(client, worker, house):
    served = _person(client, worker, house)
    edit = {"id": served["id"], "name": "新名字"}
    [result] = f.upload(client, worker, f.envelope("person", edit, base_version=served["version"]))
    assert (result["outcome"], result["version"]) == ("updated", 2), result
    now = client.get(f"/api/v1/persons/{served['id']}", headers=worker).json
    assert now["name"] == "新名字"
    assert (now["phone"], now["id_number"], now["house"]) == (
        served["phone"],
        served["id_number"],
        house,
    )
    assert _reveal(client, served["id"], "phone") == "13912345678"
    assert _reveal(client, served["id"], "id_number") == f.id_number(7)


def test_the_served_record_sent_back_with_its_masked_values_is_unchanged(client, worker, house):
    served = _person(client, worker, house)
    back = {
        "id": served["id"],
        "id_number": served["id_number"],  # masked, as served
        "phone": served["phone"],  # masked, as served
        "name": served["name"],
    }
    [result] = f.upload(client, worker, f.envelope("person", back, base_version=1))
    assert (result["outcome"], result["version"]) == ("unchanged", 1), result


def test_an_id_number_that_is_not_the_persons_own_is_refused_naming_it(client, worker, house):
    served = _person(client, worker, house)
    wrong = {"id": served["id"], "id_number": f.id_number(8), "name": "x"}
    [result] = f.upload(client, worker, f.envelope("person", wrong, base_version=1))
    assert result["status"] == 422
    assert [e["field"] for e in result["errors"]] == ["data.id_number"]


def test_an_unknown_person_key_is_refused(client, worker, house):
    [result] = f.upload(
        client, worker, f.envelope("person", {"id": 999, "name": "x"}, base_version=1)
    )
    assert (result["status"], result["code"]) == (404, "unknown_person")


def test_a_person_is_moved_and_deleted_by_key(client, worker, house):
    served = _person(client, worker, house)
    [other] = f.upload(client, worker, f.envelope("house", f.house_data(room="102")))
    move = {"id": served["id"], "house_code": other["key"]}
    [moved] = f.upload(client, worker, f.envelope("person", move, op="move", base_version=1))
    assert moved["outcome"] == "updated", moved
    gone = {"id": served["id"]}
    [deleted] = f.upload(client, worker, f.envelope("person", gone, op="delete", base_version=2))
    assert (deleted["outcome"], deleted["version"]) == ("deleted", 3), deleted


def test_a_house_edit_keeps_the_owners_id_number_and_a_hazard_needs_no_landlord_id(client, worker):
    rental = f.rental_data(hazards=["02"])
    [created] = f.upload(
        client, worker, f.envelope("house", f.house_data(rented=True, rental=rental))
    )
    served = client.get(f"/api/v1/houses/{created['key']}", headers=worker).json
    edit = {"code": served["code"], "rental": {"hazards": ["02", "04"]}}
    [result] = f.upload(client, worker, f.envelope("house", edit, base_version=1))
    assert (result["outcome"], result["version"]) == ("updated", 2), result
    now = client.get(f"/api/v1/houses/{created['key']}", headers=worker).json
    assert now["rental"]["hazards"] == ["02", "04"]
    assert now["owner_id_number"] == served["owner_id_number"] is not None
    assert now["rental"]["landlord_id_number"] == served["rental"]["landlord_id_number"]
    assert now["rental"]["landlord_phone"] == served["rental"]["landlord_phone"] is not None
    assert (now["floor_area"], now["location"]) == (served["floor_area"], served["location"])


def test_a_house_sent_back_as_served_is_unchanged(client, worker, house):
    served = client.get(f"/api/v1/houses/{house}", headers=worker).json
    back = {"code": house, "owner_id_number": served["owner_id_number"], "use": served["use"]}
    [result] = f.upload(client, worker, f.envelope("house", back, base_version=1))
    assert (result["outcome"], result["version"]) == ("unchanged", 1), result


def test_a_deleted_house_and_a_deleted_person_both_answer_404(client, worker, house):
    served = _person(client, worker, house)
    [gone] = f.upload(
        client, worker, f.envelope("person", {"id": served["id"]}, op="delete", base_version=1)
    )
    assert gone["outcome"] == "deleted"
    [other] = f.upload(client, worker, f.envelope("house", f.house_data(room="102")))
    [razed] = f.upload(
        client, worker, f.envelope("house", {"code": other["key"]}, op="delete", base_version=1)
    )
    assert razed["outcome"] == "deleted"
    person = client.get(f"/api/v1/persons/{served['id']}", headers=worker)
    building = client.get(f"/api/v1/houses/{other['key']}", headers=worker)
    assert (person.status_code, person.json["code"]) == (404, "unknown_person")
    assert (building.status_code, building.json["code"]) == (404, "unknown_house")


def test_registering_again_before_the_move_out_is_refused_naming_moved_in_not_a_conflict(
    client, worker, house
):
    served = _person(client, worker, house)
    [gone] = f.upload(
        client, worker, f.envelope("person", {"id": served["id"]}, op="delete", base_version=1)
    )
    # The device still thinks the person is at version 1 and moved in long before.
    again = f.person_data(7, house, moved_in="2020-01-01")
    [result] = f.upload(client, worker, f.envelope("person", again, base_version=1))
    assert result["outcome"] == "rejected" and result["status"] == 422, result
    assert [e["field"] for e in result["errors"]] == ["data.moved_in"]
    staff = f.auth_as(client, "street_staff", ["440303001000"], username="desk2")
    assert client.get("/api/v1/conflicts", headers=staff).json == []
    assert gone["version"] == 2


def test_subdivided_rooms_of_one_flat_each_get_their_own_code(client, worker):
    rooms = ["301", "301A", "301B", "302"]
    results = f.upload(
        client, worker, *[f.envelope("house", f.house_data(room=r, floor=3)) for r in rooms]
    )
    assert [r["outcome"] for r in results] == ["created"] * 4, results
    assert [r["key"][-6:] for r in results] == ["003301", "003101", "003201", "003302"]


def test_lettered_units_get_their_own_codes(client, worker):
    results = f.upload(
        client,
        worker,
        f.envelope("house", f.house_data(unit="A")),
        f.envelope("house", f.house_data(unit="B")),
    )
    assert [r["key"][17:19] for r in results] == ["91", "92"], results


def test_a_room_whose_digits_another_room_has_is_refused_naming_the_room(client, worker):
    # On floor 1 101A takes 201 (1 is the plain rooms' digit there): a room 201 on floor 1
    # is the rare address that still coincides.
    [first, second] = f.upload(
        client,
        worker,
        f.envelope("house", f.house_data(room="201", floor=1)),
        f.envelope("house", f.house_data(room="101A", floor=1)),
    )
    assert first["outcome"] == "created" and first["key"].endswith("001201")
    assert (second["status"], second["code"]) == (409, "house_code_taken")
    assert [e["field"] for e in second["errors"]] == ["data.room"]


def test_a_room_letter_past_i_is_refused_naming_the_room(client, worker):
    [result] = f.upload(client, worker, f.envelope("house", f.house_data(room="K01")))
    assert result["status"] == 422 and [e["field"] for e in result["errors"]] == ["data.room"]
