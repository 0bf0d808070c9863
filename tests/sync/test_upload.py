"""The upload contract: one outcome per record, idempotent, scoped, all-or-nothing per record."""

import json

from sqlalchemy import func, select, text

from gridgov import config
from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people.models import Person, Residence
from tests import factories as f


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_new_house_gets_a_server_issued_code_and_its_grid_from_the_point(client, worker):
    [result] = f.upload(client, worker, f.envelope("house", f.house_data(room="1203", floor=12)))
    assert (result["outcome"], result["status"], result["version"]) == ("created", 201, 1)
    code = result["key"]
    assert code[:12] == "440303001001" and len(code) == 25
    assert code[12:] == "00001" + "01" + "012" + "203"  # building 1, unit 1, floor 12, room 203
    body = client.get(f"/api/v1/houses/{code}", headers=worker).json
    assert body["grid"] == f.OWN_CELL
    owner = f.id_number(900)
    assert body["owner_id_number"] == owner[:6] + "********" + owner[-4:]


def test_the_same_batch_twice_changes_nothing(client, worker):
    records = [f.envelope("house", f.house_data(room=str(100 + i))) for i in range(5)]
    first = f.upload(client, worker, *records)
    second = f.upload(client, worker, *records)
    assert [r["outcome"] for r in first] == ["created"] * 5
    assert [r["key"] for r in second] == [r["key"] for r in first]
    assert all(r["replayed"] for r in second)
    assert count(House) == 5


def test_a_reused_uuid_with_other_content_is_a_409_for_that_record(client, worker):
    record = f.envelope("house", f.house_data())
    f.upload(client, worker, record)
    changed = {**record, "data": f.house_data(room="999")}
    [result] = f.upload(client, worker, changed)
    assert (result["outcome"], result["status"], result["code"]) == ("rejected", 409, "uuid_reused")
    assert count(House) == 1


def test_one_bad_record_does_not_sink_the_batch(client, worker):
    good = f.envelope("house", f.house_data(room="101"))
    bad = f.envelope("house", f.house_data(room="102", use="77", floor=-3))
    also_good = f.envelope("house", f.house_data(room="103"))
    results = f.upload(client, worker, good, bad, also_good)
    assert [r["outcome"] for r in results] == ["created", "rejected", "created"]
    assert [e["field"] for e in results[1]["errors"]] == ["data.floor"]
    assert count(House) == 2


def test_an_unknown_code_names_the_field_and_the_table(client, worker):
    [result] = f.upload(client, worker, f.envelope("house", f.house_data(use="77")))
    assert result["status"] == 422
    assert result["errors"] == [
        {"field": "data.use", "in": "body", "message": "'77' is not a code of house_use"}
    ]


def test_an_invalid_id_number_is_rejected_naming_the_rule(client, worker, house):
    bad = f.person_data(1, house, id_number="440308199901101513")
    [result] = f.upload(client, worker, f.envelope("person", bad))
    assert result["outcome"] == "rejected"
    assert result["errors"][0]["field"] == "data.id_number"
    assert "check_digit" in result["errors"][0]["message"]
    assert count(Person) == 0


def test_a_house_outside_my_cells_is_rejected(client, worker):
    data = f.house_data(point=f.NEIGHBOUR_POINT)
    [result] = f.upload(client, worker, f.envelope("house", data, position=f.NEIGHBOUR_POINT))
    assert (result["status"], result["code"]) == (403, "outside_scope")
    assert count(House) == 0


def test_coordinates_outside_the_district_are_rejected(client, worker):
    [result] = f.upload(client, worker, f.envelope("house", f.house_data(point=(114.2, 22.6))))
    assert result["errors"][0]["field"] == "data.location"
    assert "not inside any grid cell" in result["errors"][0]["message"]


def test_a_capture_far_from_my_cells_is_flagged(client, worker):
    [result] = f.upload(
        client, worker, f.envelope("house", f.house_data(), position=f.OTHER_STREET_POINT)
    )
    assert result["outcome"] == "created"
    assert result["flags"] == ["position_outside_geofence"]


def test_the_geofence_can_reject_instead(app, client, worker, monkeypatch):
    monkeypatch.setitem(app.config, "GRIDGOV_GEOFENCE", "reject")
    [result] = f.upload(
        client, worker, f.envelope("house", f.house_data(), position=f.OTHER_STREET_POINT)
    )
    assert (result["outcome"], result["status"], result["code"]) == (
        "rejected",
        403,
        "outside_geofence",
    )
    # Refused whole: no house, building, change or audit row; only the outcome kept for a retry.
    db.session.remove()
    written = db.session.execute(
        text(
            "SELECT (SELECT count(*) FROM houses), (SELECT count(*) FROM buildings),"
            " (SELECT count(*) FROM changes), (SELECT count(*) FROM stat_pending),"
            " (SELECT count(*) FROM audit_events WHERE action LIKE '%house%'),"
            " (SELECT count(*) FROM sync_records)"
        )
    ).one()
    assert tuple(written) == (0, 0, 0, 0, 0, 1)


def north_of_my_cell(metres: float) -> tuple[float, float]:
    """A point due north of the worker's cell (its north edge is 22.52), about `metres` off."""
    return 114.005, round(f.NORTH + metres / 110_760, 7)


def test_the_geofence_flags_just_outside_its_distance_and_not_just_inside(app, client, worker):
    assert app.config["GRIDGOV_GEOFENCE_METRES"] == 100
    inside, outside = north_of_my_cell(97), north_of_my_cell(103)
    # The distances, measured in plain SQL on the spheroid, are what the test means them to be.
    metres = db.session.execute(
        text(
            "SELECT ST_Distance(g, ST_SetSRID(ST_MakePoint(:x, :a), 4326)::geography),"
            " ST_Distance(g, ST_SetSRID(ST_MakePoint(:x, :b), 4326)::geography)"
            " FROM (SELECT geom::geography AS g FROM areas WHERE code = :cell) cell"
        ),
        {"x": inside[0], "a": inside[1], "b": outside[1], "cell": f.OWN_CELL},
    ).one()
    assert 96 < metres[0] < 99.5 and 100.5 < metres[1] < 104
    near, far = f.upload(
        client,
        worker,
        f.envelope("house", f.house_data(room="101"), position=inside),
        f.envelope("house", f.house_data(room="102"), position=outside),
    )
    assert (near["outcome"], near.get("flags", [])) == ("created", [])
    assert (far["outcome"], far["flags"]) == ("created", ["position_outside_geofence"])


def test_a_batch_over_the_limit_is_refused_whole(client, worker):
    records = [f.envelope("house", f.house_data(room=str(i))) for i in range(1001)]
    response = client.post(
        "/api/v1/sync/upload", json={"device_id": "pda-1", "records": records}, headers=worker
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "records"
    assert count(House) == 0


def test_malformed_json_and_wrong_types_are_4xx(client, worker):
    broken = client.post(
        "/api/v1/sync/upload", data="{nope", content_type="application/json", headers=worker
    )
    assert broken.status_code == 400
    wrong = client.post(
        "/api/v1/sync/upload", json={"device_id": 7, "records": "all"}, headers=worker
    )
    assert wrong.status_code == 422
    assert {e["field"] for e in wrong.json["errors"]} == {"device_id", "records"}
    [result] = f.upload(client, worker, {"uuid": "not-a-uuid", "type": "car", "data": []})
    assert result["status"] == 422
    assert {"uuid", "type", "op", "captured_at", "data"} <= {e["field"] for e in result["errors"]}


def test_a_floating_person_is_registered_with_encrypted_numbers(client, worker, house):
    [result] = f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    assert result["outcome"] == "created"
    row = db.session.execute(text("SELECT * FROM persons")).mappings().one()
    number = f.id_number(7)
    assert (
        number.encode() not in bytes(row["id_sealed"])
        and row["id_masked"] == number[:6] + "********" + number[-4:]
    )
    assert b"13912345678" not in bytes(row["phone_sealed"]) and row["phone_masked"] == "139****5678"
    assert (row["kind"], row["origin_code"], row["grid_code"]) == ("floating", "430302", f.OWN_CELL)
    assert db.session.scalar(select(func.count()).select_from(Residence)) == 1


def test_a_residence_permit_number_is_sealed_and_masked(client, worker, house):
    data = f.person_data(7, house)
    data["floating"] = {
        **data["floating"],
        "certificate_type": "02",
        "certificate_no": "4403032026000123",
    }
    [result] = f.upload(client, worker, f.envelope("person", data))
    row = db.session.execute(text("SELECT details, certificate_no_sealed FROM persons")).one()
    assert row.details["floating"]["certificate_no"] == "************0123"
    assert b"4403032026000123" not in bytes(row.certificate_no_sealed)
    body = client.get(f"/api/v1/persons/{result['key']}", headers=worker).json
    assert "4403032026000123" not in str(body)


def test_a_person_whose_declared_sex_disagrees_is_flagged_not_rejected(client, worker, house):
    [result] = f.upload(client, worker, f.envelope("person", f.person_data(7, house, sex="2")))
    assert result["outcome"] == "created" and "sex_mismatch" in result["flags"]


def test_one_id_number_is_one_person(client, worker, house):
    f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    [again] = f.upload(client, worker, f.envelope("person", f.person_data(7, house, name="别名")))
    assert again["outcome"] == "conflict"
    assert count(Person) == 1


def test_an_update_from_the_current_version_applies(client, worker, house):
    [created] = f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    [updated] = f.upload(
        client, worker, f.envelope("person", f.person_data(7, house, name="新名"), base_version=1)
    )
    assert (updated["outcome"], updated["version"], updated["key"]) == (
        "updated",
        2,
        created["key"],
    )
    assert client.get(f"/api/v1/persons/{created['key']}", headers=worker).json["name"] == "新名"


def test_sending_the_same_values_again_is_unchanged(client, worker, house):
    f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    [same] = f.upload(client, worker, f.envelope("person", f.person_data(7, house), base_version=1))
    assert (same["outcome"], same["version"]) == ("unchanged", 1)


def test_every_write_leaves_an_audit_row_without_clear_numbers(client, worker, house):
    f.upload(client, worker, f.envelope("person", f.person_data(7, house)), device="pda-9")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type.in_(("house", "person")))
    ).all()
    assert {e.action for e in events} == {"create_house", "create_person"}
    person_event = next(e for e in events if e.action == "create_person")
    assert person_event.device_id == "pda-9"
    assert f.id_number(7) not in str(person_event.after) and "13912345678" not in str(
        person_event.after
    )


def test_a_rented_house_keeps_its_rental_details(client, worker):
    data = f.house_data(rented=True, rental=f.rental_data())
    [result] = f.upload(client, worker, f.envelope("house", data))
    body = client.get(f"/api/v1/houses/{result['key']}", headers=worker).json
    assert body["rental"]["hazards"] == ["02", "04"]
    assert body["rental"]["landlord_phone"] == "138****5678"


def test_a_rented_house_without_rental_details_is_rejected(client, worker):
    [result] = f.upload(client, worker, f.envelope("house", f.house_data(rented=True)))
    assert result["errors"][0]["field"] == "data.rental"


def test_a_house_edit_from_the_current_version_applies(client, worker, house):
    edit = f.house_data(code=house, floor_area="80.00", rented=True, rental=f.rental_data())
    [result] = f.upload(client, worker, f.envelope("house", edit, base_version=1))
    assert (result["outcome"], result["version"]) == ("updated", 2)
    body = client.get(f"/api/v1/houses/{house}", headers=worker).json
    assert (body["floor_area"], body["rented"], body["rental"]["rental_use"]) == (
        "80.00",
        True,
        "01",
    )


def test_a_stale_house_edit_lists_the_fields_in_conflict(client, worker, house):
    f.upload(
        client,
        worker,
        f.envelope("house", f.house_data(code=house, floor_area="80.00"), base_version=1),
    )
    [stale] = f.upload(
        client, worker, f.envelope("house", f.house_data(code=house, use="02"), base_version=1)
    )
    assert stale["outcome"] == "conflict"
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    [conflict] = client.get("/api/v1/conflicts", headers=staff).json
    fields = {x["field"]: (x["ours"], x["theirs"]) for x in conflict["fields"]}
    assert fields == {"use": ("01", "02"), "floor_area": ("80.00", "72.50")}


def test_an_empty_house_can_be_deleted_and_its_code_is_never_reissued(client, worker, house):
    [deleted] = f.upload(
        client, worker, f.envelope("house", {"code": house}, op="delete", base_version=1)
    )
    assert (deleted["outcome"], deleted["version"]) == ("deleted", 2)
    gone = client.get(f"/api/v1/houses/{house}", headers=worker)
    assert (gone.status_code, gone.json["code"]) == (404, "unknown_house")
    [again] = f.upload(client, worker, f.envelope("house", f.house_data()))
    assert again["status"] == 409 and again["code"] == "house_code_taken"


def test_the_same_uuid_twice_in_one_batch_is_written_once(client, worker):
    record = f.envelope("house", f.house_data())
    other = {**record, "data": f.house_data(room="909")}
    first, again, clash = f.upload(client, worker, record, record, other)
    assert (first["outcome"], again["outcome"], again.get("replayed")) == (
        "created",
        "created",
        True,
    )
    assert (clash["status"], clash["code"]) == (409, "uuid_reused")
    assert count(House) == 1


def test_a_body_over_the_upload_limit_is_a_413_problem_and_writes_nothing(
    app, client, worker, monkeypatch
):
    monkeypatch.setenv("GRIDGOV_MAX_UPLOAD_BYTES", "4096")
    limit = config.from_env()["MAX_CONTENT_LENGTH"]
    assert limit == 4096  # the variable is the limit Flask enforces
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", limit)
    records = [f.envelope("house", f.house_data(room=str(101 + i))) for i in range(3)]
    small = json.dumps({"device_id": "pda-1", "records": records[:1]})
    records += [f.envelope("house", f.house_data(room=str(201 + i))) for i in range(20)]
    big = json.dumps({"device_id": "pda-1", "records": records})
    assert len(small) < limit < len(big)
    headers = {**worker, "Content-Type": "application/json"}
    response = client.post("/api/v1/sync/upload", data=big, headers=headers)
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "request_entity_too_large"
    db.session.remove()
    houses_audited = select(func.count()).where(AuditEvent.action.like("%house%"))
    assert (count(House), db.session.scalar(houses_audited)) == (0, 0)
    accepted = client.post("/api/v1/sync/upload", data=small, headers=headers)
    assert accepted.status_code == 200 and count(House) == 1
