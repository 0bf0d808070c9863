"""Reveal needs a real reason; every refused attempt is audited like a disclosure; answers with
personal data are never cached."""

import pytest
from sqlalchemy import select

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from tests import factories as f


@pytest.fixture
def person(client, worker, house):
    [result] = f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    return int(result["key"])


@pytest.fixture
def street(client):
    return f.auth_as(client, "street_staff", ["440303001000"], username="desk")


def reveal(client, headers, person_id, reason, field="id_number"):
    return client.post(
        f"/api/v1/persons/{person_id}/reveal",
        json={"field": field, "reason": reason},
        headers=headers,
    )


def refusals() -> list[dict]:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "reveal_refused").order_by(AuditEvent.id)
    )
    return [{"target": e.entity_key, **e.after} for e in events]


@pytest.mark.parametrize("reason", ["    ", "", "。。。", "x", "a" * 201])
def test_a_reason_that_says_nothing_is_refused_naming_it_and_audited(
    client, person, street, reason
):
    response = reveal(client, street, person, reason)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "reason"
    assert "value" not in response.json
    assert [r["refused"] for r in refusals()] == ["validation_failed"]
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal")).all()


def test_a_short_chinese_reason_is_enough(client, person, street):
    assert reveal(client, street, person, " 核查 ").json["value"] == f.id_number(7)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal")).all()
    assert event.after == {"field": "id_number", "reason": "核查"}


def test_a_grid_worker_is_refused_and_the_attempt_is_audited(client, worker, person):
    response = reveal(client, worker, person, "想看看")
    assert (response.status_code, response.json["code"]) == (403, "reveal_not_allowed")
    assert refusals() == [
        {
            "target": str(person),
            "field": "id_number",
            "reason": "想看看",
            "refused": "reveal_not_allowed",
        }
    ]


def test_outside_scope_and_absent_are_refused_alike_and_both_audited(client, person):
    other = f.auth_as(client, "street_staff", ["440303002000"], username="east")
    theirs = reveal(client, other, person, "核查身份")
    absent = reveal(client, other, person + 1000, "核查身份")
    assert theirs.status_code == absent.status_code == 404
    assert theirs.json == {
        **absent.json,
        "detail": absent.json["detail"].replace(str(person + 1000), str(person)),
    }
    assert [r["target"] for r in refusals()] == [str(person), str(person + 1000)]


def test_a_number_not_recorded_answers_as_a_person_not_there(client, worker, house, street):
    [result] = f.upload(
        client,
        worker,
        f.envelope("person", {k: v for k, v in f.person_data(8, house).items() if k != "phone"}),
    )
    response = reveal(client, street, int(result["key"]), "回访", field="phone")
    assert (response.status_code, response.json["code"]) == (404, "unknown_person")


def test_answers_with_personal_data_are_not_stored_by_any_cache(client, person, street):
    answers = [
        client.get(f"/api/v1/persons/{person}", headers=street),
        client.get("/api/v1/persons?area=440303001000", headers=street),
        client.post("/api/v1/persons/lookup", json={"id_number": f.id_number(7)}, headers=street),
        reveal(client, street, person, "核查"),
        client.get("/api/v1/exports/persons?area=440303001000&format=csv", headers=street),
        reveal(client, street, person, "    "),
    ]
    assert [a.headers.get("Cache-Control") for a in answers] == ["no-store"] * len(answers)
