"""House and person writes stand on their own: a desk service writes them with nothing but a
Writer and the rows it looks up, with no upload before it, and reads them back through the API."""

from datetime import date

from sqlalchemy import select

from gridgov.audit.models import AuditEvent
from gridgov.codes.service import current_codes
from gridgov.extensions import db
from gridgov.feed.models import Change
from gridgov.houses import service as houses
from gridgov.people import service as people
from gridgov.records.outcome import Stale
from gridgov.records.writer import Writer
from gridgov.scope import Principal
from tests import factories as f

STREET = "440303001000"  # the street of f.OWN_CELL


def _desk_writer(app) -> Writer:
    f.make_district()
    user_id = f.make_user("desk", "street_staff", [STREET])
    principal = Principal(user_id, "desk", "street_staff", ((STREET, STREET[:9]),))
    return Writer(principal, None, app.extensions["vault"], current_codes())


def test_a_desk_service_registers_a_house_and_a_person_without_an_upload(app, client):
    w = _desk_writer(app)
    house = houses.upsert(w, houses.prepare(w, f.house_data()), None, None)
    rec = people.prepare(w, f.person_data(7, house.key))
    person = people.upsert(w, rec, people.locked(rec.index), None, date(2026, 11, 1))
    db.session.commit()
    assert (house.outcome, person.outcome) == ("created", "created")
    headers = f.auth_as(client, "street_staff", [STREET], username="reader")
    shown = client.get(f"/api/v1/persons/{person.key}", headers=headers).json
    assert (shown["house"], shown["name"], shown["version"]) == (house.key, rec.values["name"], 1)
    assert shown["id_number"] != f.id_number(7)  # masked
    feed = db.session.scalars(select(Change.record_type).order_by(Change.seq)).all()
    assert feed == ["house", "person"]
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.startswith("create_") and a != "create_user"] == [
        "create_house",
        "create_person",
    ]


def test_a_desk_edit_from_an_old_version_is_stale_with_its_fields_worked_out_once(app):
    w = _desk_writer(app)
    house = houses.upsert(w, houses.prepare(w, f.house_data()), None, None)
    rec = people.prepare(w, f.person_data(7, house.key))
    people.upsert(w, rec, None, None, date(2026, 11, 1))
    db.session.commit()
    renamed = people.prepare(w, f.person_data(7, house.key, name="李四"))
    stored = people.locked(renamed.index)
    people.upsert(w, renamed, stored, 1, date(2026, 11, 2))  # version 1 -> 2
    again = people.prepare(w, f.person_data(7, house.key, name="王五"))
    try:
        people.upsert(w, again, people.locked(again.index), 1, date(2026, 11, 3))
    except Stale as stale:
        assert stale.current_version == 2
        assert stale.fields == [{"field": "name", "ours": "李四", "theirs": "王五"}]
    else:
        raise AssertionError("an edit of version 1 after version 2 must be stale")
