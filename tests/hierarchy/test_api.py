from datetime import date, timedelta

import pytest

from gridgov.geo import tile_of
from gridgov.hierarchy import importer
from tests import factories as f


def test_an_area_is_a_geojson_feature_with_parent_and_children(client, district_staff):
    response = client.get("/api/v1/areas/440303001000", headers=district_staff)
    assert response.status_code == 200
    body = response.json
    assert body["type"] == "Feature" and body["id"] == "440303001000"
    assert body["geometry"]["type"] == "MultiPolygon"
    props = body["properties"]
    assert (props["level"], props["parent"]) == ("street", f.DISTRICT)
    assert props["children"] == ["440303001001", "440303001002"]


def test_children_come_as_a_feature_collection(client, district_staff):
    response = client.get("/api/v1/areas/440303001001/children", headers=district_staff)
    assert response.json["type"] == "FeatureCollection"
    props = [x["properties"] for x in response.json["features"]]
    assert [(p["code"], p["level"], p["grid_type"]) for p in props] == [
        ("440303001001001", "grid", "general"),
        ("440303001001002", "grid", "general"),
    ]


def test_an_unknown_area_is_a_404_problem(client, district_staff):
    response = client.get("/api/v1/areas/440303009000", headers=district_staff)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "unknown_area"


def test_a_malformed_area_code_names_the_path_parameter(client, district_staff):
    response = client.get("/api/v1/areas/44030x", headers=district_staff)
    assert response.status_code == 422
    assert response.json["errors"] == [
        {"field": "code", "in": "path", "message": "must be a 12 or 15-digit code"}
    ]


def test_grids_filter_by_area_and_by_bbox(client, district_staff):
    by_area = client.get("/api/v1/grids?area=440303002000", headers=district_staff).json
    assert [x["id"] for x in by_area["features"]] == [
        "440303002001001",
        "440303002001002",
        "440303002002001",
        "440303002002002",
    ]
    by_box = client.get(
        "/api/v1/grids?bbox=114.001,22.511,114.009,22.519", headers=district_staff
    ).json
    assert [x["id"] for x in by_box["features"]] == ["440303001001001"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=114.02,22.5,114.01,22.6", "bbox"),
        ("bbox=114,22.5,200,22.6", "bbox"),
        ("area=12345", "area"),
        ("", "area"),
        ("area=440303000000&date=2024-13-01", "date"),
    ],
)
def test_bad_grid_queries_name_the_parameter(client, district_staff, query, field):
    response = client.get(f"/api/v1/grids?{query}", headers=district_staff)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == field
    assert response.json["errors"][0]["in"] == "query"


def test_a_closed_cell_is_kept_and_dropped_from_todays_lists(client, district_staff):
    closed = f.feature(
        f.box(114.0, 22.51, 114.01, 22.52),
        code="440303001001001",
        name="北网格",
        valid_from=f.SINCE,
        valid_to=str(date.today()),
    )
    importer.import_grids(f.collection(closed), "wgs84", f.TOLERANCE)
    one = client.get("/api/v1/grids/440303001001001", headers=district_staff).json
    assert one["properties"]["valid_to"] == str(date.today())
    today = client.get("/api/v1/grids?area=440303001001", headers=district_staff).json
    assert [x["id"] for x in today["features"]] == ["440303001001002"]
    yesterday = str(date.today() - timedelta(days=1))
    back = client.get(
        f"/api/v1/grids?area=440303001001&date={yesterday}", headers=district_staff
    ).json
    assert len(back["features"]) == 2


def test_locate_finds_every_level_for_a_point_inside(client, district_staff):
    response = client.get("/api/v1/locate?lon=114.035&lat=22.505", headers=district_staff)
    assert response.status_code == 200
    assert {k: v["code"] for k, v in response.json.items() if k != "point"} == {
        "district": "440303000000",
        "street": "440303002000",
        "community": "440303002002",
        "grid": "440303002002002",
    }


def test_locate_on_a_shared_edge_picks_the_lower_code(client, district_staff):
    response = client.get(f"/api/v1/locate?lon=114.005&lat={f.MID}", headers=district_staff)
    assert response.json["grid"]["code"] == "440303001001001"


def test_locate_on_the_district_boundary_is_inside(client, district_staff):
    response = client.get(f"/api/v1/locate?lon={f.EAST}&lat=22.515", headers=district_staff)
    assert response.status_code == 200
    assert response.json["grid"]["code"] == "440303002002001"


def test_locate_outside_the_district_is_a_404_problem(client, district_staff):
    response = client.get("/api/v1/locate?lon=114.05&lat=22.515", headers=district_staff)
    assert response.status_code == 404
    assert response.json["code"] == "outside_district"


# One WGS84 point, (114.035, 22.505) in the south cell of community 440303002002, as AMap
# (GCJ-02) and Baidu (BD-09) publish it: literal numbers, not worked out by the code under test.
AS_PUBLISHED = {"gcj02": (114.0400747, 22.5022314), "bd09": (114.0466063, 22.5080587)}


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_locate_converts_gcj02_and_bd09_points(client, district_staff, crs):
    lon, lat = AS_PUBLISHED[crs]
    response = client.get(f"/api/v1/locate?lon={lon}&lat={lat}&crs={crs}", headers=district_staff)
    assert response.status_code == 200, response.json
    assert response.json["grid"]["code"] == "440303002002002"
    assert response.json["point"] == pytest.approx([114.035, 22.505], abs=1e-6)
    raw = client.get(f"/api/v1/locate?lon={lon}&lat={lat}", headers=district_staff)
    assert raw.status_code == 404  # read as WGS84 the same numbers are 0.5-1.2 km off, outside


@pytest.mark.parametrize(
    "query, field",
    [
        ("lon=114&lat=95", "lat"),
        ("lon=nan&lat=22", "lon"),
        ("lat=22", "lon"),
        ("lon=114&lat=22&crs=utm", "crs"),
    ],
)
def test_locate_rejects_bad_coordinates_naming_the_field(client, district_staff, query, field):
    response = client.get(f"/api/v1/locate?{query}", headers=district_staff)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json["errors"]]


def test_a_grid_tile_holds_the_cells_in_view(client, district_staff):
    x, y = tile_of(114.005, 22.515, 14)
    response = client.get(f"/api/v1/tiles/grids/14/{x}/{y}.mvt", headers=district_staff)
    assert response.status_code == 200
    assert response.content_type == "application/vnd.mapbox-vector-tile"
    assert b"grids" in response.data and b"440303001001001" in response.data


def test_a_tile_away_from_the_district_is_empty(client, district_staff):
    response = client.get("/api/v1/tiles/grids/14/0/0.mvt", headers=district_staff)
    assert response.status_code == 200 and response.data == b""


@pytest.mark.parametrize("path, field", [("23/0/0", "z"), ("3/8/0", "x"), ("3/0/9", "y")])
def test_tile_numbers_out_of_range_name_the_parameter(client, district_staff, path, field):
    response = client.get(f"/api/v1/tiles/grids/{path}.mvt", headers=district_staff)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == field
