"""Two devices on one record, moves between grids with history, and the change feed."""

from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.feed.models import Change
from gridgov.people.models import Residence
from gridgov.sync.models import Conflict
from tests import factories as f


def test_two_devices_editing_the_same_record_make_a_conflict_not_a_lost_update(
    client, worker, house
):
    [created] = f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    first = f.envelope("person", f.person_data(7, house, name="甲改"), base_version=1)
    second = f.envelope(
        "person", f.person_data(7, house, name="乙改", phone="13700000000"), base_version=1
    )
    [a] = f.upload(client, worker, first, device="pda-1")
    [b] = f.upload(client, worker, second, device="pda-2")
    assert (a["outcome"], b["outcome"]) == ("updated", "conflict")
    assert b["status"] == 409 and b["version"] == 2
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    [conflict] = client.get("/api/v1/conflicts", headers=staff).json
    assert conflict["id"] == b["conflict_id"] and conflict["record_key"] == created["key"]
    by_field = {x["field"]: x for x in conflict["fields"]}
    assert by_field["name"] == {"field": "name", "ours": "甲改", "theirs": "乙改"}
    # Both sides readable, neither in full.
    assert by_field["phone"] == {"field": "phone", "ours": "139****5678", "theirs": "137****0000"}
    assert (conflict["sent"]["by"]["username"], conflict["sent"]["device_id"]) == ("wang", "pda-2")
    assert conflict["sent"]["captured_at"] and conflict["resolved"] is None
    person = client.get(f"/api/v1/persons/{created['key']}", headers=staff).json
    assert person["name"] == "甲改"  # nothing applied until someone decides


def test_desk_staff_resolve_a_conflict_with_the_devices_version(client, worker, house):
    f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    f.upload(
        client, worker, f.envelope("person", f.person_data(7, house, name="甲改"), base_version=1)
    )
    [b] = f.upload(
        client, worker, f.envelope("person", f.person_data(7, house, name="乙改"), base_version=1)
    )
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    response = client.post(
        f"/api/v1/conflicts/{b['conflict_id']}/resolve", json={"choice": "theirs"}, headers=staff
    )
    assert response.json == {
        "conflict": b["conflict_id"],
        "choice": "theirs",
        "outcome": "updated",
        "version": 3,
    }
    assert client.get(f"/api/v1/persons/{b['key']}", headers=staff).json["name"] == "乙改"
    assert client.get("/api/v1/conflicts", headers=staff).json == []
    again = client.post(
        f"/api/v1/conflicts/{b['conflict_id']}/resolve", json={"choice": "ours"}, headers=staff
    )
    assert again.status_code == 422


def test_resolving_an_open_conflict_with_ours_keeps_the_stored_record_and_closes_it(
    client, worker, house
):
    f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    f.upload(
        client, worker, f.envelope("person", f.person_data(7, house, name="甲改"), base_version=1)
    )
    [b] = f.upload(
        client, worker, f.envelope("person", f.person_data(7, house, name="乙改"), base_version=1)
    )
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    feed = db.session.scalar(select(func.count()).select_from(Change))
    response = client.post(
        f"/api/v1/conflicts/{b['conflict_id']}/resolve", json={"choice": "ours"}, headers=staff
    )
    assert response.status_code == 200
    assert response.json == {"conflict": b["conflict_id"], "choice": "ours"}
    person = client.get(f"/api/v1/persons/{b['key']}", headers=staff).json
    assert (person["name"], person["version"]) == ("甲改", 2)  # the stored record, untouched
    assert client.get("/api/v1/conflicts", headers=staff).json == []
    db.session.remove()
    status, resolver = db.session.execute(
        select(Conflict.status, Conflict.resolved_by).where(Conflict.id == b["conflict_id"])
    ).one()
    staff_id = db.session.scalar(select(User.id).where(User.role == "street_staff"))
    assert (status, resolver) == ("resolved", staff_id)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "resolve_conflict")
    ).one()
    assert (event.actor_id, event.entity_key, event.after) == (
        staff_id,
        b["key"],
        {"conflict": b["conflict_id"], "choice": "ours"},
    )
    assert db.session.scalar(select(func.count()).select_from(Change)) == feed  # nothing to tell


def test_a_stale_delete_or_move_is_a_conflict_that_resolves_as_that_operation(
    client, worker, house
):
    f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    f.upload(client, worker, f.envelope("person", f.person_data(8, house)))
    f.upload(
        client, worker, f.envelope("person", f.person_data(7, house, name="甲改"), base_version=1)
    )
    f.upload(
        client, worker, f.envelope("person", f.person_data(8, house, name="乙改"), base_version=1)
    )
    other, south_house = make_second_worker(client)
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    stale_delete, stale_move = f.upload(
        client,
        staff,
        f.envelope("person", {"id_number": f.id_number(7)}, op="delete", base_version=1),
        f.envelope(
            "person",
            {"id_number": f.id_number(8), "house_code": south_house},
            op="move",
            base_version=1,
        ),
    )
    assert (stale_delete["outcome"], stale_move["outcome"]) == ("conflict", "conflict")
    listed = {c["id"]: c["fields"] for c in client.get("/api/v1/conflicts", headers=staff).json}
    assert listed[stale_delete["conflict_id"]] == [
        {"field": "deleted", "ours": False, "theirs": True}
    ]
    assert listed[stale_move["conflict_id"]] == [
        {"field": "house", "ours": house, "theirs": south_house}
    ]
    for result, outcome in ((stale_delete, "deleted"), (stale_move, "updated")):
        response = client.post(
            f"/api/v1/conflicts/{result['conflict_id']}/resolve",
            json={"choice": "theirs"},
            headers=staff,
        )
        assert response.json["outcome"] == outcome, response.json
    assert client.get(f"/api/v1/persons/{stale_delete['key']}", headers=staff).status_code == 404
    moved = client.get(f"/api/v1/persons/{stale_move['key']}", headers=staff).json
    assert moved["house"] == south_house
    # Dated when the device captured the move, not when the desk resolved it.
    moved_in = db.session.scalar(
        select(func.max(Residence.moved_in)).where(Residence.person_id == int(stale_move["key"]))
    )
    assert moved_in == f.CAPTURED_AT.date()


def test_grid_workers_cannot_resolve_conflicts(client, worker):
    assert client.get("/api/v1/conflicts", headers=worker).status_code == 403


def make_second_worker(client):
    """A worker for the south cell, with a house there."""
    other = f.auth_as(client, "grid_worker", ["440303001001002"], username="li")
    [result] = f.upload(
        client,
        other,
        f.envelope(
            "house", f.house_data(room="201", point=f.NEIGHBOUR_POINT), position=f.NEIGHBOUR_POINT
        ),
    )
    return other, result["key"]


def move_south(client, number: str, moved_in: str | None = None) -> tuple[dict, list[dict]]:
    """The south cell's worker records the person's move into a house there; their record lies
    in the north cell, so it is a transfer request, which the street's desk accepts."""
    other, south_house = make_second_worker(client)
    data = {"id_number": number, "house_code": south_house}
    if moved_in:
        data["moved_in"] = moved_in
    move = f.envelope("person", data, op="move", base_version=1, position=f.NEIGHBOUR_POINT)
    [requested] = f.upload(client, other, move)
    assert requested["outcome"] == "transfer_requested" and "version" not in requested
    desk = f.auth_as(client, "street_staff", ["440303001000"], username="desk_south")
    decided = client.post(
        f"/api/v1/persons/transfers/{requested['key']}/decide",
        json={"decision": "accept"},
        headers=desk,
    )
    assert decided.status_code == 200, decided.json
    return other, [decided.json["person"]]


def test_a_move_to_another_grid_keeps_the_history(client, worker, house):
    data = f.person_data(7, house, moved_in="2026-10-01")
    [created] = f.upload(client, worker, f.envelope("person", data))
    other, [moved] = move_south(client, f.id_number(7), moved_in="2026-11-01")
    assert (moved["outcome"], moved["version"], moved["key"]) == ("updated", 2, created["key"])
    history = db.session.execute(
        select(Residence.moved_in, Residence.moved_out).order_by(Residence.id)
    ).all()
    assert [(str(a), str(b) if b else None) for a, b in history] == [
        ("2026-10-01", "2026-11-01"),
        ("2026-11-01", None),
    ]
    assert client.get(f"/api/v1/persons/{created['key']}", headers=worker).status_code == 404
    assert (
        client.get(f"/api/v1/persons/{created['key']}", headers=other).json["grid"]
        == "440303001001002"
    )


def changes(client, headers, cursor=None):
    url = "/api/v1/sync/changes" + (f"?cursor={cursor}" if cursor else "")
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_the_change_feed_sends_records_and_a_tombstone_when_one_leaves_my_cells(
    client, worker, house
):
    [created] = f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    feed = changes(client, worker)
    assert [(c["type"], c["op"]) for c in feed["changes"]] == [
        ("house", "upsert"),
        ("person", "upsert"),
    ]
    assert feed["changes"][1]["record"]["id_number"].count("*") == 8
    assert changes(client, worker, feed["cursor"])["changes"] == []
    move_south(client, f.id_number(7))
    later = changes(client, worker, feed["cursor"])
    assert [(c["type"], c["key"], c["op"]) for c in later["changes"]] == [
        ("person", created["key"], "left")
    ]
    assert "record" not in later["changes"][0]


def test_a_deleted_record_is_a_tombstone(client, worker, house):
    [created] = f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    cursor = changes(client, worker)["cursor"]
    [deleted] = f.upload(
        client,
        worker,
        f.envelope("person", {"id_number": f.id_number(7)}, op="delete", base_version=1),
    )
    assert deleted["outcome"] == "deleted"
    feed = changes(client, worker, cursor)
    assert [(c["key"], c["op"]) for c in feed["changes"]] == [(created["key"], "delete")]


def test_the_change_feed_pages(client, worker):
    created = f.upload(
        client, worker, *[f.envelope("house", f.house_data(room=str(300 + i))) for i in range(5)]
    )
    pages, cursor = [], None
    for _ in range(4):
        page = client.get(
            "/api/v1/sync/changes?limit=2" + (f"&cursor={cursor}" if cursor else ""), headers=worker
        ).json
        pages.append(([c["key"] for c in page["changes"]], page["more"]))
        cursor = page["cursor"]
        if not page["more"]:
            break
    keys = [r["key"] for r in created]
    assert pages == [(keys[0:2], True), (keys[2:4], True), (keys[4:], False)]


def test_no_change_slips_behind_a_cursor_while_an_older_transaction_is_still_running(
    client, worker
):
    """A change written by a transaction that began first but commits last is still served."""
    writer = db.engine.connect()
    try:
        # The older transaction: it has written a change (and so has its id) but not committed.
        writer.exec_driver_sql(
            "INSERT INTO changes (grid_code, record_type, record_key, op) "
            f"VALUES ('{f.OWN_CELL}', 'house', 'older', 'delete')"
        )
        [later] = f.upload(client, worker, f.envelope("house", f.house_data(room="301")))
        assert later["outcome"] == "created"
        first = changes(client, worker)
        # The later upload has committed, but serving it would move the cursor past the older one.
        assert first["changes"] == [] and first["more"] is False
        writer.commit()
    finally:
        writer.close()
    after = changes(client, worker, first["cursor"])
    assert [(c["key"], c["op"]) for c in after["changes"]] == [
        ("older", "delete"),
        (later["key"], "upsert"),
    ]
    assert changes(client, worker, after["cursor"])["changes"] == []


def test_a_long_transaction_in_another_database_does_not_hold_the_feed_back(client, worker):
    """Transaction ids are the cluster's, but only this database's sessions can add changes."""
    elsewhere = create_engine(db.engine.url.set(database="postgres"), poolclass=NullPool)
    try:
        with elsewhere.connect() as other:
            other.exec_driver_sql("SELECT pg_current_xact_id()")  # now holds an id, open
            [house] = f.upload(client, worker, f.envelope("house", f.house_data(room="302")))
            served = changes(client, worker)["changes"]
            assert [(c["key"], c["op"]) for c in served] == [(house["key"], "upsert")]
            other.rollback()
    finally:
        elsewhere.dispose()


def test_a_forged_cursor_names_the_parameter(client, worker):
    response = client.get("/api/v1/sync/changes?cursor=abc", headers=worker)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "cursor"


def test_a_house_with_residents_cannot_be_deleted(client, worker, house):
    f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    [result] = f.upload(
        client, worker, f.envelope("house", {"code": house}, op="delete", base_version=1)
    )
    assert (result["status"], result["code"]) == (409, "house_occupied")


def test_reserved_building_numbers_code_houses_made_offline(client, worker):
    response = client.post(
        "/api/v1/sync/building-numbers",
        json={"device_id": "pda-1", "community": "440303001001", "count": 3},
        headers=worker,
    )
    assert response.status_code == 201 and response.json["numbers"] == [1, 2, 3]
    code = "440303001001" + "00002" + "01" + "005" + "501"
    [result] = f.upload(
        client,
        worker,
        f.envelope("house", f.house_data(code=code, floor=5, room="501", building="新楼")),
    )
    assert (result["outcome"], result["key"]) == ("created", code)
    stolen = "440303001001" + "00009" + "01" + "005" + "501"
    [refused] = f.upload(
        client, worker, f.envelope("house", f.house_data(code=stolen, building="另一楼"))
    )
    assert refused["errors"][0]["field"] == "data.code"
    fresh = client.post(
        "/api/v1/sync/building-numbers",
        json={"device_id": "pda-2", "community": "440303001001", "count": 1},
        headers=worker,
    )
    assert fresh.json["numbers"] == [4]  # numbers are never handed out twice


def test_an_old_upsert_of_a_record_that_has_left_my_cells_comes_as_a_tombstone(
    client, worker, house
):
    f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    move_south(client, f.id_number(7))
    feed = changes(client, worker)  # from the start: the registration, then the move away
    assert [(c["type"], c["op"], "record" in c) for c in feed["changes"]] == [
        ("house", "upsert", True),
        ("person", "left", False),
        ("person", "left", False),
    ]


def test_resolved_conflicts_stay_listable_with_who_chose_which_side(client, worker, house):
    f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    f.upload(
        client, worker, f.envelope("person", f.person_data(7, house, name="甲改"), base_version=1)
    )
    [b] = f.upload(
        client, worker, f.envelope("person", f.person_data(7, house, name="乙改"), base_version=1)
    )
    staff = f.auth_as(client, "street_staff", ["440303001000"], username="desk")
    client.post(
        f"/api/v1/conflicts/{b['conflict_id']}/resolve", json={"choice": "ours"}, headers=staff
    )
    assert client.get("/api/v1/conflicts", headers=staff).json == []
    [resolved] = client.get("/api/v1/conflicts?status=resolved", headers=staff).json
    assert resolved["id"] == b["conflict_id"] and resolved["status"] == "resolved"
    assert (resolved["resolved"]["by"]["username"], resolved["resolved"]["choice"]) == (
        "desk",
        "ours",
    )
    assert resolved["sent"]["by"]["username"] == "wang"
