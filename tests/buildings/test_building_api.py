"""GET /buildings/{code}: the 楼盘表 of a building, floors × units × rooms with each room's
status; GET /buildings?area=: the buildings of an area; GET /houses/{code}/occupants."""

import pytest

from tests import factories as f


@pytest.fixture
def building(client, worker):
    """A building of five rooms on three floors: vacant, occupied, rented, with a hazard,
    overcrowded (7 people in a rented house, above the default 6)."""
    plain = {"rented": False}
    rented = {"rented": True, "rental": f.rental_data(hazards=[])}
    rooms = {
        ("101", 1): plain,
        ("102", 1): plain,
        ("201", 2): rented,
        ("202", 2): {"rented": True, "rental": f.rental_data(hazards=["02"])},
        ("301", 3): rented,
    }
    results = f.upload(
        client,
        worker,
        *(
            f.envelope("house", f.house_data(room, floor=floor, **extra))
            for (room, floor), extra in rooms.items()
        ),
    )
    codes = {room: r["key"] for (room, _), r in zip(rooms, results, strict=True)}
    people = [("102", 1), ("201", 1), ("301", 7)]
    seq = iter(range(10, 100))
    f.upload(
        client,
        worker,
        *(
            f.envelope("person", f.person_data(next(seq), codes[room]))
            for room, n in people
            for _ in range(n)
        ),
    )
    return codes


def test_a_building_is_its_rooms_by_floor_top_first_each_with_its_status(client, worker, building):
    code = building["101"][:17]
    response = client.get(f"/api/v1/buildings/{code}", headers=worker)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["compound"] == "翠竹苑" and body["building"] == "3栋"
    assert [fl["floor"] for fl in body["floors"]] == [3, 2, 1]
    status = {
        room["room"]: room["status"]
        for fl in body["floors"]
        for unit in fl["units"]
        for room in unit["rooms"]
    }
    assert status == {
        "101": "vacant",
        "102": "occupied",
        "201": "rented",
        "202": "hazard",
        "301": "overcrowded",
    }
    assert body["counts"] == {
        "vacant": 1,
        "occupied": 1,
        "rented": 1,
        "hazard": 1,
        "overcrowded": 1,
    }


def test_the_crowding_threshold_is_the_configured_one(app, client, worker, building):
    app.config["GRIDGOV_CROWDED_ABOVE"] = 7
    try:
        body = client.get(f"/api/v1/buildings/{building['301'][:17]}", headers=worker).json
    finally:
        app.config["GRIDGOV_CROWDED_ABOVE"] = 6
    assert body["counts"]["overcrowded"] == 0 and body["counts"]["rented"] == 2


def test_a_building_outside_the_callers_area_is_not_found(client, building):
    other = f.auth_as(client, "street_staff", ["440303002000"])
    response = client.get(f"/api/v1/buildings/{building['101'][:17]}", headers=other)
    assert response.status_code == 404
    assert response.json["code"] == "unknown_building"


def test_a_malformed_building_code_names_the_field(client, worker):
    response = client.get("/api/v1/buildings/12345", headers=worker)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "code"


def test_the_buildings_of_an_area_count_their_rooms(client, worker, building):
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    body = client.get("/api/v1/buildings?area=440303001000", headers=staff).json
    [row] = body["buildings"]
    assert row["code"] == building["101"][:17]
    # Vacant counts the empty rooms, as the statistics do (202 is empty and has a hazard).
    counts = (row["rooms"], row["floors"], row["rented"], row["overcrowded"], row["vacant"])
    assert counts == (5, 3, 3, 1, 2)
    assert body["next"] is None
    paged = client.get("/api/v1/buildings?area=440303001000&limit=1", headers=staff).json
    assert paged["next"] == row["code"]
    after = client.get(f"/api/v1/buildings?area=440303001000&after={row['code']}", headers=staff)
    assert after.json["buildings"] == []


def test_the_occupants_of_a_house_are_masked_and_scoped(client, worker, building):
    body = client.get(f"/api/v1/houses/{building['301']}/occupants", headers=worker).json
    assert len(body["persons"]) == 7
    assert all("*" in p["id_number"] for p in body["persons"])
    other = f.auth_as(client, "street_staff", ["440303002000"])
    response = client.get(f"/api/v1/houses/{building['301']}/occupants", headers=other)
    assert response.status_code == 404
