"""A batch writes its new houses and people together: records still see every record before
them, each gets its own outcome, audit row and change, and the statistics stay exact."""

from datetime import date

from sqlalchemy import func, select, text

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.feed.models import Change
from gridgov.houses.models import Building, House
from gridgov.people.models import Person, Residence
from gridgov.stats import service as stats
from gridgov.sync.models import SyncRecord
from tests import factories as f
from tests.live import Held, Server, send_together


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_batch_records_a_house_and_then_the_people_living_in_it(client, worker):
    [first] = f.upload(client, worker, f.envelope("house", f.house_data(room="808")))
    # The building is known now, so a device can work out the code a new room will get.
    code = first["key"][:-3] + "809"
    people = [f.envelope("person", f.person_data(i, code)) for i in range(1, 4)]
    results = f.upload(client, worker, f.envelope("house", f.house_data(room="809")), *people)
    assert [r["outcome"] for r in results] == ["created"] * 4
    assert results[0]["key"] == code
    ids = [int(r["key"]) for r in results[1:]]
    assert len(set(ids)) == 3
    assert count(Residence, Residence.person_id.in_(ids), Residence.moved_out.is_(None)) == 3
    audited = count(AuditEvent, AuditEvent.action == "create_person")
    changed = count(Change, Change.record_type == "person", Change.op == "upsert")
    assert (audited, changed) == (3, 3)
    shown = client.get(f"/api/v1/persons/{ids[0]}", headers=worker).json
    assert (shown["house"], shown["name"], shown["version"]) == (code, "测试1", 1)


def test_a_refused_edit_between_registrations_keeps_theirs_whole(client, worker, house):
    [stored] = f.upload(client, worker, f.envelope("person", f.person_data(30, house)))
    f.upload(
        client, worker, f.envelope("person", f.person_data(30, house, name="改"), base_version=1)
    )
    stale = f.envelope("person", f.person_data(30, house, name="旧"), base_version=1)
    records = [f.envelope("person", f.person_data(31, house)), stale]
    records.append(f.envelope("person", f.person_data(32, house)))
    results = f.upload(client, worker, *records)
    assert [r["outcome"] for r in results] == ["created", "conflict", "created"]
    created = db.session.scalars(
        select(AuditEvent.entity_key).where(AuditEvent.action == "create_person")
    ).all()
    assert sorted(created) == sorted([stored["key"], results[0]["key"], results[2]["key"]])
    assert count(Change, Change.record_type == "person") == 4  # 3 registrations, 1 edit


def test_a_new_house_sent_twice_in_one_batch_is_recorded_once(client, worker):
    record = f.envelope("house", f.house_data(room="606"))
    first, again = f.upload(client, worker, record, record)
    assert again == {**first, "replayed": True} and first["outcome"] == "created"
    assert count(House) == 1 and count(Building) == 1


def test_a_position_too_large_for_a_number_is_rejected_alone(client, worker, house):
    huge = f.envelope("person", f.person_data(40, house))
    huge["position"]["lon"] = 10**400
    fine = f.envelope("person", f.person_data(41, house))
    bad, good = f.upload(client, worker, huge, fine)
    assert (bad["outcome"], good["outcome"]) == ("rejected", "created")
    assert [e["field"] for e in bad["errors"]] == ["position.lon"]


def test_audit_rows_without_a_before_are_null_whichever_path_wrote_them(client, worker, house):
    f.upload(client, worker, f.envelope("person", f.person_data(50, house)))  # batch path
    found = client.post(
        "/api/v1/persons/lookup", json={"id_number": f.id_number(50)}, headers=worker
    )
    assert found.status_code == 200  # its audit row is written one at a time
    rows = db.session.execute(
        text(
            "SELECT action, before IS NULL FROM audit_events "
            "WHERE action IN ('create_house', 'create_person', 'lookup_person') ORDER BY id"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("create_house", True),
        ("create_person", True),
        ("lookup_person", True),
    ]


def test_a_person_registered_and_edited_in_one_batch_is_one_person_at_version_two(
    client, worker, house
):
    registered = f.envelope("person", f.person_data(7, house))
    edited = f.envelope("person", f.person_data(7, house, name="改名"), base_version=1)
    first, second = f.upload(client, worker, registered, edited)
    assert (first["outcome"], second["outcome"]) == ("created", "updated")
    assert first["key"] == second["key"] and second["version"] == 2
    assert count(Person) == 1
    person = db.session.scalar(select(Person))
    assert (person.name, person.version) == ("改名", 2)


def test_a_registration_sent_twice_in_one_batch_answers_with_its_key_both_times(
    client, worker, house
):
    record = f.envelope("person", f.person_data(8, house))
    first, again = f.upload(client, worker, record, record)
    assert again == {**first, "replayed": True} and first["key"]
    stored = db.session.get(SyncRecord, first["uuid"]).result
    assert stored["key"] == first["key"] and stored["outcome"] == "created"


def test_a_bad_record_between_registrations_is_rejected_alone(client, worker, house):
    good = [f.envelope("person", f.person_data(i, house)) for i in (11, 12)]
    bad = f.envelope("person", f.person_data(13, house, sex="7"))
    results = f.upload(client, worker, good[0], bad, good[1])
    assert [r["outcome"] for r in results] == ["created", "rejected", "created"]
    assert [e["field"] for e in results[1]["errors"]] == ["data.sex"]
    assert count(Person) == 2


def test_statistics_stay_exact_after_a_batch_of_registrations(client, worker, house):
    records = [f.envelope("person", f.person_data(20 + i, house)) for i in range(30)]
    records += [
        f.envelope("person", f.person_data(60 + i, house, kind="resident")) for i in range(5)
    ]
    assert {r["outcome"] for r in f.upload(client, worker, *records)} == {"created"}
    assert stats.verify(f.DISTRICT, date.today()) == []
    body = client.get(f"/api/v1/stats/{f.OWN_CELL}", headers=worker).json
    assert (body["total"]["floating"], body["total"]["residents"]) == (30, 5)


def test_two_devices_registering_the_same_people_at_once_make_each_person_once(
    client, worker, house
):
    token = f.login(client, "wang")["access_token"]
    size = 150

    def body(device: str) -> dict:
        records = [f.envelope("person", f.person_data(100 + i, house)) for i in range(size)]
        return {"device_id": device, "records": records}

    server = Server(str(db.engine.url.render_as_string(hide_password=False)), workers=2)
    try:
        # One batch holds its new people uncommitted at its last step; the other must wait on
        # them, find the same ID numbers registered, and run again.
        with Held(db.engine, "sync_records") as held:
            threads, answers = send_together(server, token, [body("甲"), body("乙")])
            held.wait_for(2)
        for t in threads:
            t.join(60)
        assert sorted(status for status, _ in answers) == [200, 200]
        outcomes = [r["outcome"] for _, payload in answers for r in payload["results"]]
        # one device registered each person; the other found them registered with the same values
        assert outcomes.count("created") == size and outcomes.count("unchanged") == size
        db.session.remove()
        assert count(Person) == size
        assert count(Residence) == size
    finally:
        server.close()


def test_new_houses_in_one_batch_share_their_buildings_numbers(client, worker):
    records = [f.envelope("house", f.house_data(room=str(101 + i))) for i in range(3)]
    records += [
        f.envelope("house", f.house_data(building="4栋", room=str(101 + i))) for i in range(2)
    ]
    results = f.upload(client, worker, *records)
    assert [r["outcome"] for r in results] == ["created"] * 5
    numbers = [r["key"][12:17] for r in results]
    assert numbers == ["00001"] * 3 + ["00002"] * 2
    assert count(Building) == 2
    # a later batch finds the buildings it already numbered
    [later] = f.upload(
        client, worker, f.envelope("house", f.house_data(building="4栋", room="909"))
    )
    assert later["key"][12:17] == "00002" and count(Building) == 2


def test_a_house_whose_code_is_taken_is_refused_alone(client, worker):
    first = f.envelope("house", f.house_data(room="101"))
    twin = f.envelope("house", f.house_data(room="101", floor_area="80"))
    other = f.envelope("house", f.house_data(room="102"))
    results = f.upload(client, worker, first, twin, other)
    assert [r["outcome"] for r in results] == ["created", "rejected", "created"]
    assert (results[1]["status"], results[1]["code"]) == (409, "house_code_taken")
    [again] = f.upload(client, worker, f.envelope("house", f.house_data(room="101", unit="1单元")))
    assert (again["outcome"], again["code"]) == ("rejected", "house_code_taken")
    assert count(House) == 2
    stored = db.session.get(SyncRecord, results[1]["uuid"]).result
    assert stored["code"] == "house_code_taken"


def test_a_community_out_of_building_numbers_refuses_new_buildings_only(client, worker):
    [known] = f.upload(client, worker, f.envelope("house", f.house_data(room="101")))
    db.session.add(Building(community_code=known["key"][:12], number=99999))
    db.session.commit()
    in_known = f.envelope("house", f.house_data(room="102"))
    in_new = f.envelope("house", f.house_data(building="9栋"))
    results = f.upload(client, worker, in_known, in_new)
    assert [r["outcome"] for r in results] == ["created", "rejected"]
    assert (results[1]["status"], results[1]["code"]) == (409, "numbers_exhausted")
    assert count(House) == 2


def test_statistics_stay_exact_after_a_batch_of_new_houses(client, worker):
    records = [f.envelope("house", f.house_data(room=str(101 + i))) for i in range(10)]
    rented = f.house_data(room="201", rented=True, rental=f.rental_data())
    records.append(f.envelope("house", rented))
    assert {r["outcome"] for r in f.upload(client, worker, *records)} == {"created"}
    assert stats.verify(f.DISTRICT, date.today()) == []
    total = client.get(f"/api/v1/stats/{f.OWN_CELL}", headers=worker).json["total"]
    assert (total["houses"], total["vacant"], total["rentals"]) == (11, 11, 1)


def test_two_devices_recording_the_same_new_building_at_once_number_it_once(client, worker):
    token = f.login(client, "wang")["access_token"]

    def body(device: str, rooms: range) -> dict:
        records = [f.envelope("house", f.house_data(room=str(r))) for r in rooms]
        return {"device_id": device, "records": records}

    server = Server(str(db.engine.url.render_as_string(hide_password=False)), workers=2)
    try:
        # One batch holds the new building's number uncommitted; the other waits for the
        # numbering lock, then finds the building numbered.
        with Held(db.engine, "sync_records") as held:
            bodies = [body("甲", range(101, 151)), body("乙", range(151, 201))]
            threads, answers = send_together(server, token, bodies)
            held.wait_for(2)
        for t in threads:
            t.join(60)
        assert sorted(status for status, _ in answers) == [200, 200]
        outcomes = [r["outcome"] for _, payload in answers for r in payload["results"]]
        assert outcomes == ["created"] * 100
        db.session.remove()
        assert count(Building) == 1 and count(House) == 100
        assert {code[12:17] for code in db.session.scalars(select(House.code))} == {"00001"}
    finally:
        server.close()


def test_a_batch_mixing_a_replayed_house_and_new_people_in_it_writes_the_people_once(
    client, worker
):
    house = f.envelope("house", f.house_data(room="707"))
    [first] = f.upload(client, worker, house)
    person = f.envelope("person", f.person_data(70, first["key"]))
    reused = {**house, "data": f.house_data(room="708")}  # the house's uuid, other content
    replayed, created, clash = f.upload(client, worker, house, person, reused)
    assert (replayed["replayed"], created["outcome"]) == (True, "created")
    assert (clash["status"], clash["code"]) == (409, "uuid_reused")
    assert (count(House), count(Person)) == (1, 1)


def test_another_users_uuid_is_not_theirs_to_replay(client, worker):
    record = f.envelope("house", f.house_data())
    [mine] = f.upload(client, worker, record)
    other = f.auth_as(client, "grid_worker", [f.OWN_CELL], username="li")
    [theirs] = f.upload(client, other, record)
    assert (mine["outcome"], theirs["code"]) == ("created", "uuid_reused")
    assert count(House) == 1
