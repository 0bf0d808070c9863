"""Bad input gets a 4xx that names the problem, and leaves nothing behind."""

import copy

from tests import factories as f
from tests.redraw import helpers as h


def post(client, headers, **body):
    return client.post(
        "/api/v1/grids/proposals", json={"community": h.COMMUNITY, **body}, headers=headers
    )


def staff_with_houses(client):
    f.make_district()
    headers = f.auth_as(client, h.STREET_STAFF, ["440303001000"])
    h.fill_lattice(2, 2, lambda i, j: 100)
    return headers


def test_a_community_without_houses_is_refused_by_name(client):
    f.make_district()
    headers = f.auth_as(client, h.STREET_STAFF, ["440303001000"])
    response = post(client, headers)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "community"
    assert h.COMMUNITY in response.json["detail"] and "no houses" in response.json["detail"]
    assert h.scalar("SELECT count(*) FROM grid_proposals") == 0


def test_bounds_with_min_above_max_are_refused(client):
    headers = staff_with_houses(client)
    response = post(client, headers, min=600, max=500)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "min"
    assert "600 > 500" in response.json["detail"]


def test_roads_in_the_wrong_coordinate_system_are_refused(client):
    headers = staff_with_houses(client)
    roads = h.lattice_roads(2, 2)
    # Latitude and longitude swapped: not degrees at all.
    swapped = copy.deepcopy(roads)
    for feature in swapped["features"]:
        feature["geometry"]["coordinates"] = [
            [lat, lon] for lon, lat in feature["geometry"]["coordinates"]
        ]
    response = post(client, headers, roads=swapped)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "roads.features[0].geometry"
    assert "longitude/latitude" in response.json["detail"]
    # Degrees, but of another city (a layer meant for another district or system).
    elsewhere = copy.deepcopy(roads)
    elsewhere["features"][1]["geometry"]["coordinates"] = [[116.39, 39.90], [116.40, 39.91]]
    response = post(client, headers, roads=elsewhere)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "roads.features[1].geometry"
    assert "outside district 440303000000" in response.json["detail"]
    # The crs must be given, and be one we can convert.
    unnamed = {k: v for k, v in roads.items() if k != "crs"}
    response = post(client, headers, roads=unnamed)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "roads.crs"
    response = post(client, headers, roads={**roads, "crs": "EPSG:3857"})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "roads.crs"


def test_roads_that_are_not_lines_or_are_broken_are_refused(client):
    headers = staff_with_houses(client)
    roads = h.lattice_roads(2, 2)
    polygon = copy.deepcopy(roads)
    polygon["features"][1]["geometry"] = f.box(114.001, 22.501, 114.002, 22.502)
    response = post(client, headers, roads=polygon)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "roads.features[1].geometry"
    assert "LineString" in response.json["detail"]
    stub = copy.deepcopy(roads)
    stub["features"][0]["geometry"]["coordinates"] = [[114.005, 22.51], [114.005, 22.51]]
    response = post(client, headers, roads=stub)
    assert response.status_code == 422 and "two distinct points" in response.json["detail"]
    garbage = copy.deepcopy(roads)
    garbage["features"][0]["geometry"]["coordinates"] = [["a", "b"], [1]]
    assert post(client, headers, roads=garbage).status_code == 422
    assert post(client, headers, roads={"type": "Feature"}).status_code == 422
    assert h.scalar("SELECT count(*) FROM grid_proposals") == 0


def test_roads_far_from_the_community_are_refused(client):
    headers = staff_with_houses(client)
    east = {
        "type": "FeatureCollection",
        "crs": "wgs84",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[114.035, 22.5], [114.035, 22.52]],
                },
            }
        ],
    }
    response = post(client, headers, roads=east)
    assert response.status_code == 422 and "none of the lines" in response.json["detail"]


def test_a_proposal_outside_my_street_is_refused_and_hidden(client):
    headers = staff_with_houses(client)
    preview = h.propose(client, headers, min=150, max=250)
    other = f.auth_as(client, h.STREET_STAFF, ["440303002000"], username="east")
    assert post(client, other).status_code == 404  # beside their street: as if absent
    assert client.get(f"/api/v1/grids/proposals/{preview['id']}", headers=other).status_code == 404
    listed = client.get(
        "/api/v1/grids/proposals", query_string={"community": h.COMMUNITY}, headers=headers
    )
    assert [p["id"] for p in listed.json] == [preview["id"]]
    unknown = client.post(
        "/api/v1/grids/proposals", json={"community": "440303001009"}, headers=headers
    )
    assert unknown.status_code == 404 and unknown.json["code"] == "unknown_area"
    beside = post(client, other)
    assert beside.json["detail"] == unknown.json["detail"].replace("440303001009", h.COMMUNITY)
    worker = f.auth_as(client, "grid_worker", [h.NORTH], username="w")
    assert post(client, worker).status_code == 403
