"""A batch writes its new houses and people together: records still see every record before
them, each gets its own outcome, audit row and change, and the statistics stay exact."""

import threading
from datetime import date

from sqlalchemy import func, select

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.houses.models import Building, House
from gridgov.people.models import Person, Residence
from gridgov.stats import service as stats
from gridgov.sync.models import Change, SyncRecord
from tests import factories as f
from tests.live import Server


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_batch_records_a_house_and_then_the_people_living_in_it(client, worker):
    new_house = f.envelope("house", f.house_data(room="808"))
    [house] = f.upload(client, worker, new_house)  # to learn the code it will get
    assert house["outcome"] == "created"
    people = [f.envelope("person", f.person_data(i, house["key"])) for i in range(1, 4)]
    another_house = f.envelope("house", f.house_data(room="809"))
    results = f.upload(client, worker, new_house, *people, another_house)
    assert [r["outcome"] for r in results] == ["created"] * 5
    assert results[0].get("replayed") is True
    ids = [int(r["key"]) for r in results[1:4]]
    assert len(set(ids)) == 3
    assert count(Residence, Residence.person_id.in_(ids), Residence.moved_out.is_(None)) == 3
    audited = count(AuditEvent, AuditEvent.action == "create_person")
    changed = count(Change, Change.record_type == "person", Change.op == "upsert")
    assert (audited, changed) == (3, 3)
    shown = client.get(f"/api/v1/persons/{ids[0]}", headers=worker).json
    assert (shown["house"], shown["name"], shown["version"]) == (house["key"], "测试1", 1)


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
        answers, start = [], threading.Barrier(2)

        def send(payload):
            start.wait()
            answers.append(server.request("POST", "/api/v1/sync/upload", payload, token))

        threads = [threading.Thread(target=send, args=(body(d),)) for d in ("甲", "乙")]
        for t in threads:
            t.start()
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
        answers, start = [], threading.Barrier(2)

        def send(payload):
            start.wait()
            answers.append(server.request("POST", "/api/v1/sync/upload", payload, token))

        bodies = [body("甲", range(101, 151)), body("乙", range(151, 201))]
        threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
        for t in threads:
            t.start()
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
