"""Every role sees its own part of the hierarchy and not the neighbour's, in gets and lists."""

import pytest

from gridgov.geo import tile_of
from tests import factories as f

OWN_CELL, NEIGHBOUR_CELL = "440303001001001", "440303001001002"


@pytest.fixture(autouse=True)
def district():
    f.make_district()


def codes(response):
    return [x["id"] for x in response.json["features"]]


def test_grid_worker_reads_own_cell(client):
    headers = f.auth_as(client, "grid_worker", [OWN_CELL])
    response = client.get(f"/api/v1/grids/{OWN_CELL}", headers=headers)
    assert response.status_code == 200
    assert (response.json["id"], response.json["properties"]["name"]) == (OWN_CELL, "北网格")
    assert response.json["properties"]["parent"] == "440303001001"


def test_grid_worker_cannot_read_neighbouring_cell(client):
    headers = f.auth_as(client, "grid_worker", [OWN_CELL])
    assert client.get(f"/api/v1/grids/{NEIGHBOUR_CELL}", headers=headers).status_code == 404


def test_grid_worker_lists_only_own_cells_in_the_community(client):
    headers = f.auth_as(client, "grid_worker", [OWN_CELL])
    response = client.get("/api/v1/grids?area=440303001001", headers=headers)
    assert codes(response) == [OWN_CELL]
    children = client.get("/api/v1/areas/440303001001/children", headers=headers)
    assert codes(children) == [OWN_CELL]


def test_grid_worker_sees_the_areas_above_the_cell_but_not_beside_it(client):
    headers = f.auth_as(client, "grid_worker", [OWN_CELL])
    assert client.get("/api/v1/areas/440303001001", headers=headers).status_code == 200
    assert client.get("/api/v1/areas/440303000000", headers=headers).json["properties"][
        "children"
    ] == ["440303001000"]
    assert client.get("/api/v1/areas/440303001002", headers=headers).status_code == 404


def test_grid_worker_locate_hides_the_neighbouring_cell(client):
    headers = f.auth_as(client, "grid_worker", [OWN_CELL])
    mine = client.get("/api/v1/locate?lon=114.005&lat=22.515", headers=headers).json
    other = client.get("/api/v1/locate?lon=114.005&lat=22.505", headers=headers).json
    assert mine["grid"]["code"] == OWN_CELL
    assert other["grid"] is None and other["community"]["code"] == "440303001001"


def test_grid_worker_tile_has_only_own_cells(client):
    headers = f.auth_as(client, "grid_worker", [OWN_CELL])
    x, y = tile_of(114.005, 22.51, 14)
    tile = client.get(f"/api/v1/tiles/grids/14/{x}/{y}.mvt", headers=headers).data
    assert OWN_CELL.encode() in tile and NEIGHBOUR_CELL.encode() not in tile


def test_street_staff_see_their_street_and_not_the_next(client):
    headers = f.auth_as(client, "street_staff", ["440303001000"])
    assert len(codes(client.get("/api/v1/grids?area=440303001000", headers=headers))) == 4
    assert client.get("/api/v1/grids?area=440303002000", headers=headers).status_code == 404
    assert client.get("/api/v1/grids/440303002001001", headers=headers).status_code == 404
    box = client.get("/api/v1/grids?bbox=114.0,22.5,114.04,22.52", headers=headers)
    assert all(c.startswith("440303001") for c in codes(box)) and len(codes(box)) == 4
    district = client.get("/api/v1/areas/440303000000/children", headers=headers)
    assert codes(district) == ["440303001000"]


def test_district_staff_see_the_whole_district(client):
    headers = f.auth_as(client, "district_staff", [f.DISTRICT])
    assert len(codes(client.get("/api/v1/grids?area=440303000000", headers=headers))) == 8


def test_district_staff_cannot_see_another_district(client):
    from gridgov.hierarchy import importer

    importer.import_codes(
        "code,name,parent_code,level\n440304000000,福田区,440300000000,district\n"
    )
    headers = f.auth_as(client, "district_staff", ["440304000000"])
    assert client.get("/api/v1/areas/440303000000", headers=headers).status_code == 404
    assert client.get("/api/v1/grids?area=440303000000", headers=headers).status_code == 404
    assert codes(client.get("/api/v1/grids?bbox=114.0,22.5,114.04,22.52", headers=headers)) == []
