"""Desk reads: scoped lists and gets, masking, look-up by ID number, and audited reveal."""

import re

import pytest
from sqlalchemy import select

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from tests import factories as f

EAST_CELL, EAST_POINT = "440303002002001", (114.035, 22.515)


@pytest.fixture
def person(client, worker, house):
    [result] = f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    return int(result["key"])


@pytest.fixture
def street(client):
    return f.auth_as(client, "street_staff", ["440303001000"], username="desk")


def test_a_worker_lists_people_in_own_cell_and_not_the_neighbours(client, worker, person):
    mine = client.get("/api/v1/persons?area=440303001001&kind=floating", headers=worker).json
    assert [p["id"] for p in mine["persons"]] == [person]
    neighbour = f.auth_as(client, "grid_worker", ["440303001001002"], username="li")
    theirs = client.get("/api/v1/persons?area=440303001001", headers=neighbour).json
    assert theirs["persons"] == []
    assert client.get(f"/api/v1/persons/{person}", headers=neighbour).status_code == 404


def test_a_listed_person_is_the_person_read_alone_in_lists_and_the_first_sync(
    client, worker, house
):
    """Lists are built from columns, a person read alone from the record: they must agree."""
    data = f.person_data(8, house, former_name="李四", workplace="罗湖区某公司")
    [result] = f.upload(client, worker, f.envelope("person", data))
    alone = client.get(f"/api/v1/persons/{result['key']}", headers=worker).json
    assert alone["details"]["former_name"] == "李四"
    assert alone["details"]["floating"]["residence_type"] == "01"
    assert alone["arrival_date"] == "2026-03-01" and alone["birth_year"] > 1900
    listed = client.get("/api/v1/persons?area=440303001001", headers=worker).json["persons"]
    synced = client.get("/api/v1/sync/initial", headers=worker).json["persons"]
    assert listed == synced == [alone]
    assert list(listed[0]) == list(alone)  # the same fields in the same order


def test_street_staff_see_their_street_and_not_the_next(client, person, house, street):
    seen = client.get(f"/api/v1/persons/{person}", headers=street)
    assert seen.status_code == 200
    assert (seen.json["id"], seen.json["name"], seen.json["house"]) == (person, "测试7", house)
    home = client.get(f"/api/v1/houses/{house}", headers=street)
    assert home.status_code == 200
    assert (home.json["code"], home.json["grid"]) == (house, f.OWN_CELL)
    other = f.auth_as(client, "street_staff", ["440303002000"], username="desk2")
    for path in (f"persons/{person}", f"houses/{house}", "houses?area=440303001000"):
        refused = client.get(f"/api/v1/{path}", headers=other)
        assert refused.status_code == 404 and refused.content_type == "application/problem+json"
        # The refusal says nothing of the record beyond what was asked: no name, number or cell.
        leaked = {"测试7", f.id_number(7)[-4:], f.OWN_CELL} & set(re.findall(r"\w+", refused.text))
        assert not leaked, (path, leaked)


def test_an_admin_reads_people_and_houses_in_every_street(client, worker, person, house):
    east = f.auth_as(client, "grid_worker", [EAST_CELL], username="east")
    [far] = f.upload(
        client, east, f.envelope("house", f.house_data(point=EAST_POINT), position=EAST_POINT)
    )
    admin = f.auth_as(client, "admin", [])
    houses = client.get(f"/api/v1/houses?area={f.DISTRICT}", headers=admin).json["houses"]
    assert [h["code"] for h in houses] == sorted([house, far["key"]])
    people = client.get(f"/api/v1/persons?area={f.DISTRICT}", headers=admin).json["persons"]
    assert [(p["id"], p["name"]) for p in people] == [(person, "测试7")]
    one = client.get(f"/api/v1/houses/{far['key']}", headers=admin)
    assert (one.status_code, one.json["grid"]) == (200, EAST_CELL)
    # Seeing all is not seeing in full: an admin's views are masked like everyone's.
    number = f.id_number(7)
    assert people[0]["id_number"] == number[:6] + "********" + number[-4:]


def test_lists_filter_by_kind(client, worker, house, person):
    f.upload(client, worker, f.envelope("person", f.person_data(8, house, kind="resident")))
    residents = client.get("/api/v1/persons?area=440303001001&kind=resident", headers=worker).json
    assert [p["kind"] for p in residents["persons"]] == ["resident"]


def test_lists_filter_by_special_concern_and_by_a_sex_that_disagrees_with_the_id(
    client, worker, house, person, street
):
    floating = {**f.person_data(9, house)["floating"], "special_concern": True}
    concern = f.person_data(9, house, floating=floating)
    mismatch = f.person_data(11, house, sex="2")  # an odd sequence digit is a man
    for data in (concern, mismatch):
        [result] = f.upload(client, worker, f.envelope("person", data))
        assert result["outcome"] == "created", result

    def names(query: str, method="GET") -> list[str]:
        if method == "GET":
            answer = client.get(f"/api/v1/persons?area=440303001000&{query}", headers=street)
        else:
            body = {"area": "440303001000", **dict(kv.split("=") for kv in query.split("&"))}
            body = {k: v == "true" if v in ("true", "false") else v for k, v in body.items()}
            answer = client.post("/api/v1/persons/search", json=body, headers=street)
        assert answer.status_code == 200, answer.json
        return [p["name"] for p in answer.json["persons"]]

    assert names("special_concern=true") == ["测试9"]
    assert names("sex_mismatch=true") == ["测试11"]
    assert sorted(names("sex_mismatch=false")) == ["测试7", "测试9"]
    assert names("name_prefix=测试&special_concern=true", method="POST") == ["测试9"]
    refused = client.get("/api/v1/persons?area=440303001000&sex_mismatch=maybe", headers=street)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "sex_mismatch"


def test_numbers_are_masked_in_ordinary_views(client, person, street):
    body = client.get(f"/api/v1/persons/{person}", headers=street).json
    number = f.id_number(7)
    assert body["id_number"] == number[:6] + "********" + number[-4:]
    assert body["phone"] == "139****5678"
    assert number not in str(body) and "13912345678" not in str(body)


def test_look_up_by_id_number_goes_through_the_blind_index_and_is_audited(client, person, street):
    response = client.post(
        "/api/v1/persons/lookup", json={"id_number": f.id_number(7).lower()}, headers=street
    )
    assert response.status_code == 200 and response.json["id"] == person
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lookup_person")).one()
    assert event.after["found"] is True and f.id_number(7) not in str(event.after)


def test_look_up_outside_scope_finds_nothing(client, person):
    other = f.auth_as(client, "street_staff", ["440303002000"], username="desk2")
    response = client.post(
        "/api/v1/persons/lookup", json={"id_number": f.id_number(7)}, headers=other
    )
    assert response.status_code == 404 and response.content_type == "application/problem+json"
    assert str(person) not in response.text and "测试7" not in response.text
    assert f.id_number(7) not in response.text and f.id_number(7)[-4:] not in response.text
    # The look-up that found nothing is audited too, without the number it was asked for.
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lookup_person"))
    [event] = events.all()
    desk2 = db.session.scalar(select(User.id).where(User.username == "desk2"))
    assert event.actor_id == desk2 and event.after["found"] is False
    assert f.id_number(7) not in str(event.after) and f.id_number(7) not in str(event.before)


def test_reveal_shows_the_full_number_with_a_reason_and_is_audited(client, person, street):
    response = client.post(
        f"/api/v1/persons/{person}/reveal",
        json={"field": "id_number", "reason": "居住证办理核验"},
        headers=street,
    )
    assert response.json == {"id": person, "field": "id_number", "value": f.id_number(7)}
    phone = client.post(
        f"/api/v1/persons/{person}/reveal",
        json={"field": "phone", "reason": "回访联系"},
        headers=street,
    )
    assert phone.json["value"] == "13912345678"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal")).all()
    assert [e.after for e in events] == [
        {"field": "id_number", "reason": "居住证办理核验"},
        {"field": "phone", "reason": "回访联系"},
    ]


def test_reveal_needs_a_reason(client, person, street):
    response = client.post(
        f"/api/v1/persons/{person}/reveal", json={"field": "phone"}, headers=street
    )
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "reason"


def test_grid_workers_cannot_reveal(client, worker, person):
    response = client.post(
        f"/api/v1/persons/{person}/reveal",
        json={"field": "phone", "reason": "想看看"},
        headers=worker,
    )
    assert response.status_code == 403 and response.content_type == "application/problem+json"
    assert "13912345678" not in response.text and "value" not in response.json
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal")).all() == []


def test_houses_page_by_code(client, worker):
    f.upload(
        client, worker, *[f.envelope("house", f.house_data(room=str(400 + i))) for i in range(3)]
    )
    first = client.get("/api/v1/houses?area=440303001001001&limit=2", headers=worker).json
    rest = client.get(
        f"/api/v1/houses?area=440303001001001&limit=2&after={first['next']}", headers=worker
    ).json
    codes = [h["code"] for h in first["houses"] + rest["houses"]]
    assert len(codes) == 3 and codes == sorted(codes) and rest["next"] is None


def test_a_listed_house_is_the_house_read_alone_in_lists_and_the_first_sync(client, worker):
    """Lists are built from columns, a house read alone from the record: they must agree."""
    rented = f.house_data(room="501", rented=True, rental=f.rental_data())
    f.upload(client, worker, f.envelope("house", rented), f.envelope("house", f.house_data("502")))
    listed = client.get("/api/v1/houses?area=440303001001001", headers=worker).json["houses"]
    alone = [client.get(f"/api/v1/houses/{h['code']}", headers=worker).json for h in listed]
    assert [h["room"] for h in alone] == ["501", "502"]
    assert alone[0]["rental"]["hazards"] == ["02", "04"] and "rental" not in alone[1]
    assert alone[0]["floor_area"] == "72.50" and alone[0]["rental"]["registered_on"] == "2026-01-05"
    synced = client.get("/api/v1/sync/initial", headers=worker).json["houses"]
    assert listed == synced == alone
    assert [list(h) for h in listed] == [list(h) for h in alone]
