"""Window registration: a street-hall clerk registers or corrects a resident from the ID card in
front of them, written exactly as a device's upload of the same person would be, and audited
with the clerk as verifier; beyond the clerk's street a person or house reads as unknown."""

from sqlalchemy import select

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.feed.models import Change
from gridgov.people.models import Person, Residence
from tests import factories as f
from tests.stats.helpers import cell_point

STREET = "440303001000"
OTHER_STREET = "440303002000"
MOVED_IN = "2026-11-02"


def window(client, headers, person: dict, method="typed", base_version=None, person_id=None):
    body = {"person": person, "capture_method": method}
    if base_version is not None:
        body["base_version"] = base_version
    if person_id is None:
        return client.post("/api/v1/window/persons", json=body, headers=headers)
    return client.put(f"/api/v1/window/persons/{person_id}", json=body, headers=headers)


def _clerk(client, street=STREET, username="clerk"):
    return f.auth_as(client, "street_staff", [street], username=username)


def _written(person_id: int) -> dict:
    """What a registration left behind, less what differs by the person (key, name, numbers,
    who wrote it and from where)."""
    person = db.session.get(Person, person_id)
    skip = {"id", "id_index", "id_sealed", "id_masked", "name", "phone_sealed", "updated_at"}
    columns = {
        c.name: getattr(person, c.key) for c in Person.__table__.columns if c.name not in skip
    }
    residences = db.session.execute(
        select(Residence.house_id, Residence.moved_in, Residence.moved_out).where(
            Residence.person_id == person_id
        )
    ).all()
    changes = db.session.execute(
        select(Change.record_type, Change.grid_code, Change.op).where(
            Change.record_key == str(person_id), Change.record_type == "person"
        )
    ).all()
    audit = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_key == str(person_id), AuditEvent.entity_type == "person")
        .order_by(AuditEvent.id)
    ).all()
    actions = [(a.action, a.entity_type) for a in audit if a.action != "window_registration"]
    after = {
        k: v for k, v in audit[0].after.items() if k not in ("id", "name", "id_number", "version")
    }
    return {
        "person": columns,
        "residences": residences,
        "changes": changes,
        "audit": actions,
        "after": after,
    }


def _stats(client, headers) -> dict:
    response = client.get(f"/api/v1/stats/{f.OWN_CELL}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json["total"]


def test_a_window_registration_writes_what_an_upload_of_the_same_person_writes(
    client, worker, house
):
    clerk = _clerk(client)
    before = _stats(client, clerk)
    by_window = window(client, clerk, f.person_data(7, house, moved_in=MOVED_IN), "card_reader")
    assert by_window.status_code == 201, by_window.json
    assert by_window.json["outcome"] == "created" and by_window.json["version"] == 1
    middle = _stats(client, clerk)
    [uploaded] = f.upload(
        client, worker, f.envelope("person", f.person_data(9, house, moved_in=MOVED_IN))
    )
    assert uploaded["outcome"] == "created"
    after = _stats(client, clerk)
    assert _written(int(by_window.json["key"])) == _written(int(uploaded["key"]))
    for measure in ("population", "floating", "residents"):
        assert middle[measure] - before[measure] == after[measure] - middle[measure], measure
    assert after["population"] - before["population"] == 2
    # One house: the window's registration made it a household, as an upload would have.
    assert (before["households"], middle["households"], after["households"]) == (0, 1, 1)


def test_the_clerk_is_the_verifier_and_the_capture_method_is_stored(client, worker, house):
    clerk = _clerk(client)
    typed = window(client, clerk, f.person_data(7, house), "typed")
    read = window(client, clerk, f.person_data(9, house), "card_reader")
    assert (typed.status_code, read.status_code) == (201, 201)
    methods = db.session.execute(select(Person.id, Person.capture_method).order_by(Person.id)).all()
    assert [m for _, m in methods] == ["typed", "card_reader"]
    shown = typed.json["person"]
    assert shown["id_number"] != f.id_number(7) and "*" in shown["id_number"]
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_key == typed.json["key"], AuditEvent.entity_type == "person")
        .order_by(AuditEvent.id)
    ).all()
    assert [(r.action, r.device_id) for r in rows] == [
        ("create_person", "window"),
        ("window_registration", "window"),
    ]
    assert rows[1].after == {
        "verified_by": "clerk",
        "capture_method": "typed",
        "outcome": "created",
    }
    assert len({r.actor_id for r in rows}) == 1 and rows[0].actor_id is not None


def test_a_correction_from_the_version_read_is_applied_and_a_stale_one_shows_both_sides(
    client, worker, house
):
    clerk = _clerk(client)
    created = window(client, clerk, f.person_data(7, house)).json
    person_id = int(created["key"])
    fixed = window(
        client, clerk, {"phone": "13700001111"}, "card_reader", base_version=1, person_id=person_id
    )
    assert fixed.status_code == 200 and fixed.json["outcome"] == "updated"
    assert fixed.json["version"] == 2 and fixed.json["person"]["phone"] == "137****1111"
    stale = window(
        client, clerk, {"phone": "13600002222"}, "card_reader", base_version=1, person_id=person_id
    )
    assert stale.status_code == 409 and stale.json["code"] == "stale_version"
    [phone] = [e for e in stale.json["errors"] if e["field"] == "person.phone"]
    assert "137****1111" in phone["message"] and "136****2222" in phone["message"]
    assert "13600002222" not in stale.get_data(as_text=True)
    assert db.session.get(Person, person_id).version == 2


def test_another_streets_clerk_finds_neither_the_person_nor_the_house(client, worker, house):
    clerk = _clerk(client)
    person_id = int(window(client, clerk, f.person_data(7, house)).json["key"])
    other = _clerk(client, OTHER_STREET, "zhao")
    theirs = window(client, other, {"phone": "13700001111"}, base_version=1, person_id=person_id)
    absent = window(client, other, {"phone": "13700001111"}, base_version=1, person_id=99999)
    assert theirs.status_code == absent.status_code == 404
    assert theirs.json["detail"].replace(str(person_id), "N") == absent.json["detail"].replace(
        "99999", "N"
    )
    absent_code = house[:-4] + "9999"
    theirs = window(client, other, f.person_data(11, house))
    absent = window(client, other, f.person_data(11, absent_code))
    assert theirs.status_code == absent.status_code == 422
    assert theirs.json["errors"] == [
        {**e, "message": e["message"].replace(absent_code, house)} for e in absent.json["errors"]
    ]
    assert theirs.json["errors"][0]["field"] == "person.house_code"
    assert db.session.get(Person, person_id).version == 1


def test_someone_recorded_in_another_street_becomes_a_transfer_request_showing_nothing(
    client, worker, house
):
    f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    east = f.auth_as(client, "grid_worker", ["440303002001001"], username="east")
    point = cell_point("440303002001001", 1)
    [h] = f.upload(client, east, f.envelope("house", f.house_data(point=point), position=point))
    other = _clerk(client, OTHER_STREET, "zhao")
    asked = window(client, other, f.person_data(7, h["key"], name="改名"))
    assert asked.status_code == 202 and asked.json["outcome"] == "transfer_requested"
    assert asked.json["person"] is None and "version" not in asked.json
    assert "测试7" not in asked.get_data(as_text=True)
    assert db.session.scalar(select(Person.name)) == "测试7"


def test_a_grid_worker_cannot_register_at_the_window(client, worker, house):
    refused = window(client, worker, f.person_data(7, house))
    assert refused.status_code == 403
    assert db.session.scalar(select(Person.id)) is None
