"""The resident's public address pickers (streets, communities, and a community's compounds down
to rooms: never a person, a house id or a house code) and withdrawing a declaration not yet
decided with the status page's pair."""

import pytest
from sqlalchemy import func, select

from gridgov.audit.models import AuditEvent
from gridgov.declarations import configure, current
from gridgov.declarations.models import Declaration, DeclarationEvent
from gridgov.extensions import db
from gridgov.visits.models import VisitTask
from tests import factories as f
from tests.declarations import helpers as d

PLACES = "/api/v1/declarations/places"


@pytest.fixture(autouse=True)
def no_sample(client, worker):
    d.rules(client, 0.0)


def test_the_district_places_list_streets_and_communities_without_a_token(client):
    response = client.get(PLACES)
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    body = response.json
    assert d.STREET in [s["code"] for s in body["streets"]]
    communities = {c["code"]: c for c in body["communities"]}
    assert communities and all(c["parent"][:9] == c["code"][:9] for c in communities.values())
    assert all(set(c) == {"code", "name", "parent"} for c in communities.values())


def test_a_community_lists_its_compounds_down_to_rooms_and_no_house_codes(client, worker, house):
    for room in ("1002", "201"):
        f.upload(client, worker, f.envelope("house", f.house_data(room=room)))
    community = house[:12]
    response = client.get(f"{PLACES}/{community}")
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    body = response.json
    assert body["community"]["code"] == community
    [compound] = body["compounds"]
    assert compound["name"] == "翠竹苑"
    [building] = compound["buildings"]
    assert building == {"name": "3栋", "units": [{"name": "1", "rooms": ["101", "201", "1002"]}]}
    text = response.get_data(as_text=True)
    assert house not in text and "陈大文" not in text


def test_an_unknown_community_is_a_404_problem(client):
    for code in ("440303001999", "abcdefghijkl", d.STREET):
        response = client.get(f"{PLACES}/{code}")
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"
    assert response.json["code"] == "unknown_community"


def test_an_address_throttled_for_declaring_is_refused_the_places_too(client, house):
    saved = current()
    configure(type(saved)(**{**saved.__dict__, "per_address": 1}))
    try:
        d.declare(client, d.body(101, house), address="10.9.0.1")
        refused = client.get(PLACES, environ_overrides={"REMOTE_ADDR": "10.9.0.1"})
        other = client.get(PLACES, environ_overrides={"REMOTE_ADDR": "10.9.0.2"})
    finally:
        configure(saved)
    assert refused.status_code == 429 and refused.json["code"] == "address_throttled"
    assert "Retry-After" in refused.headers and other.status_code == 200


def withdraw(client, reference, last4, **body):
    return client.post(
        f"/api/v1/declarations/{reference}/withdraw", json={"id_last4": last4, **body}
    )


def test_a_resident_withdraws_a_pending_declaration_and_the_event_is_stored(client, house):
    number = f.id_number(102)
    reference = d.declare(client, d.body(102, house))["reference"]
    response = withdraw(client, reference, number[-4:], reason="填错了")
    assert response.status_code == 200, response.json
    assert response.json["state"] == "withdrawn" and response.json["decided_at"]
    assert response.json["events"][-1]["state"] == "withdrawn"
    event = db.session.scalar(select(DeclarationEvent).order_by(DeclarationEvent.id.desc()))
    assert (event.to_state, event.reason, event.actor_id) == ("withdrawn", "填错了", None)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "withdraw"))
    assert audit.entity_key == reference and number not in str(audit.after)
    again = withdraw(client, reference, number[-4:])
    assert again.status_code == 409 and again.json["code"] == "declaration_decided"


def test_withdrawing_a_visiting_declaration_withdraws_its_door_visit(client, worker):
    data = f.house_data(room="102", rented=True, rental=f.rental_data())
    [h] = f.upload(client, worker, f.envelope("house", data))
    answer = d.declare(client, d.body(103, h["key"], kind="floating"))
    assert answer["state"] == "visiting"
    response = withdraw(client, answer["reference"], f.id_number(103)[-4:])
    assert response.status_code == 200 and response.json["state"] == "withdrawn"
    task = db.session.scalar(select(VisitTask))
    assert task.state == "withdrawn" and task.withdrawn_reason == "居民撤回申报"
    changes = client.get("/api/v1/sync/changes?limit=500", headers=worker).json["changes"]
    assert [c["op"] for c in changes if c["type"] == "visit"][-1] == "delete"


def test_a_wrong_last_four_gets_the_status_pages_404_and_counts_as_a_guess(client, house):
    number = f.id_number(104)
    reference = d.declare(client, d.body(104, house))["reference"]
    wrong = [f"{i:04d}" for i in range(20) if f"{i:04d}" != number[-4:]][:10]
    first = withdraw(client, reference, wrong[0])
    unknown = withdraw(client, "SBAAAAAAAAAAAA", wrong[0])
    status = client.get(f"/api/v1/declarations/{reference}", query_string={"id_last4": wrong[0]})
    assert first.status_code == unknown.status_code == status.status_code == 404
    assert first.json == unknown.json == status.json
    for guess in wrong[1:9]:
        withdraw(client, reference, guess)
    # The tenth wrong guess came from the status page: the limit is one for both.
    client.get(f"/api/v1/declarations/{reference}", query_string={"id_last4": wrong[9]})
    assert withdraw(client, reference, number[-4:]).status_code == 404
    state = db.session.scalar(select(Declaration.state).where(Declaration.reference == reference))
    assert state != "withdrawn"


def test_a_decided_declaration_cannot_be_withdrawn(client, house):
    number = f.id_number(105)
    reference = d.declare(client, d.body(105, house))["reference"]
    db.session.execute(
        Declaration.__table__.update().values(state="rejected", decided_at=func.now())
    )
    db.session.commit()
    response = withdraw(client, reference, number[-4:])
    assert response.status_code == 409 and response.json["code"] == "declaration_decided"
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(DeclarationEvent)
            .where(DeclarationEvent.to_state == "withdrawn")
        )
        == 0
    )
