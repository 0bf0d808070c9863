"""House vector tiles: the houses in view and in scope, no personal information, zoom 14-22."""

import struct

import pytest

from gridgov.geo import tile_of
from tests import factories as f
from tests.stats import helpers as h

NEIGHBOUR_CELL = "440303001001002"
EAST_CELL = "440303002001001"


# --- a minimal Mapbox Vector Tile (protobuf) reader: layers, properties and point positions ---


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        byte = buf[i]
        n |= (byte & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if byte < 0x80:
            return n, i


def _fields(buf: bytes):
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i : i + size], i + size
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def _packed(buf: bytes) -> list[int]:
    out, i = [], 0
    while i < len(buf):
        n, i = _varint(buf, i)
        out.append(n)
    return out


def _value(buf: bytes):
    for number, _, raw in _fields(buf):
        if number == 1:
            return raw.decode()
        if number == 2:
            return struct.unpack("<f", raw)[0]
        if number == 3:
            return struct.unpack("<d", raw)[0]
        if number in (4, 5):
            return raw
        if number == 6:
            return (raw >> 1) ^ -(raw & 1)
        if number == 7:
            return bool(raw)


def decode(tile: bytes) -> dict[str, list[dict]]:
    """{layer name: [properties of each feature, with '_xy': the point in tile units]}."""
    layers = {}
    for number, _, layer in _fields(tile):
        assert number == 3
        name, keys, values, features = None, [], [], []
        for field, _, raw in _fields(layer):
            if field == 1:
                name = raw.decode()
            elif field == 2:
                features.append(raw)
            elif field == 3:
                keys.append(raw.decode())
            elif field == 4:
                values.append(_value(raw))
        decoded = []
        for feature in features:
            props = {}
            for field, _, raw in _fields(feature):
                if field == 2:
                    tags = _packed(raw)
                    props.update(
                        {keys[k]: values[v] for k, v in zip(tags[::2], tags[1::2], strict=True)}
                    )
                elif field == 3:
                    assert raw == 1, "a point"
                elif field == 4:
                    command, x, y = _packed(raw)
                    assert command == 9, "one MoveTo"
                    props["_xy"] = ((x >> 1) ^ -(x & 1), (y >> 1) ^ -(y & 1))
            decoded.append(props)
        layers[name] = decoded
    return layers


# --- tests --------------------------------------------------------------------------------


@pytest.fixture
def staff(client):
    f.make_district()
    return f.auth_as(client, "district_staff", [f.DISTRICT])


def tile(client, headers, z, lon, lat, status=200):
    x, y = tile_of(lon, lat, z)
    response = client.get(f"/api/v1/tiles/houses/{z}/{x}/{y}.mvt", headers=headers)
    assert response.status_code == status, response.data[:300]
    return response


def test_a_house_tile_holds_the_houses_in_view_without_personal_information(client, staff):
    rented = h.add_house(client, staff, f.OWN_CELL, "101", rented=True)
    empty = h.add_house(client, staff, f.OWN_CELL, "105")  # in the same zoom-14 tile
    h.add_person(client, staff, 1, rented, name="王小明")
    response = tile(client, staff, 14, *h.cell_point(f.OWN_CELL, 101))
    assert response.content_type == "application/vnd.mapbox-vector-tile"
    assert response.headers["Cache-Control"] == "private, max-age=60"
    layers = decode(response.data)
    assert set(layers) == {"houses"}
    by_code = {p["code"]: p for p in layers["houses"]}
    assert set(by_code) == {rented, empty}
    first = by_code[rented]
    assert {k: v for k, v in first.items() if k != "_xy"} == {
        "code": rented,
        "grid": f.OWN_CELL,
        "use": "01",
        "rented": True,
        "occupants": 1,
        "overcrowded": False,
    }
    assert by_code[empty]["occupants"] == 0 and by_code[empty]["rented"] is False
    assert all(0 <= c < 4096 for p in layers["houses"] for c in p["_xy"])
    for secret in ("陈大文", "王小明", f.id_number(900), f.id_number(1), "13812345678"):
        assert secret.encode() not in response.data


def test_a_rented_house_with_more_people_than_the_limit_is_drawn_overcrowded(app, client, staff):
    crowded = h.add_house(client, staff, f.OWN_CELL, "101", rented=True)
    full_but_own = h.add_house(client, staff, f.OWN_CELL, "105")
    for seq in range(1, 4):
        h.add_person(client, staff, seq, crowded)
        h.add_person(client, staff, 10 + seq, full_but_own)
    app.config["GRIDGOV_CROWDED_ABOVE"] = 2
    try:
        houses = decode(tile(client, staff, 14, *h.cell_point(f.OWN_CELL, 101)).data)["houses"]
        app.config["GRIDGOV_CROWDED_ABOVE"] = 3
        at_limit = decode(tile(client, staff, 14, *h.cell_point(f.OWN_CELL, 101)).data)["houses"]
    finally:
        app.config["GRIDGOV_CROWDED_ABOVE"] = 6
    flags = {p["code"]: (p["occupants"], p["overcrowded"]) for p in houses}
    # Only a rental is 群租: three people in an owner-occupied house are not.
    assert flags == {crowded: (3, True), full_but_own: (3, False)}
    assert {p["code"]: p["overcrowded"] for p in at_limit} == {crowded: False, full_but_own: False}


def test_a_tile_without_houses_is_empty(client, staff):
    h.add_house(client, staff, f.OWN_CELL, "101")
    assert tile(client, staff, 16, *h.cell_point(EAST_CELL, 0)).data == b""


def test_a_deleted_house_is_not_drawn(client, staff):
    code = h.add_house(client, staff, f.OWN_CELL, "101")
    env = f.envelope("house", {"code": code}, op="delete", base_version=1)
    [result] = f.upload(client, staff, env)
    assert result["outcome"] == "deleted", result
    assert tile(client, staff, 14, *h.cell_point(f.OWN_CELL, 101)).data == b""


def test_a_house_near_a_tile_edge_is_also_in_the_buffer_of_the_next_tile(client, staff):
    z, x, y = 18, *tile_of(114.004, 22.512, 18)
    width = 360 / 2**z
    east_edge = (x + 1) * width - 180
    point = (round(east_edge - width * 10 / 4096, 7), 22.512)  # 10 of 4096 units from the edge
    data = f.house_data(room="101", point=point)
    [result] = f.upload(client, staff, f.envelope("house", data, position=point))
    code = result["key"]
    [own] = decode(tile(client, staff, z, *point).data)["houses"]
    assert own["code"] == code and 4096 - 12 <= own["_xy"][0] < 4096
    right = client.get(f"/api/v1/tiles/houses/{z}/{x + 1}/{y}.mvt", headers=staff)
    [buffered] = decode(right.data)["houses"]
    assert buffered["code"] == code and -12 <= buffered["_xy"][0] < 0
    far = client.get(f"/api/v1/tiles/houses/{z}/{x + 2}/{y}.mvt", headers=staff)
    assert far.data == b""


def test_a_grid_worker_sees_only_the_houses_of_their_cell(client, staff):
    own = h.add_house(client, staff, f.OWN_CELL, "101")
    neighbour = h.add_house(client, staff, NEIGHBOUR_CELL, "201")
    worker = f.auth_as(client, "grid_worker", [f.OWN_CELL])
    # Zoom 14 holds the whole community: both cells are in view.
    lon, lat = h.cell_point(f.OWN_CELL, 101)
    seen = {p["code"] for p in decode(tile(client, worker, 14, lon, lat).data)["houses"]}
    assert seen == {own}
    assert neighbour.encode() not in tile(client, worker, 14, lon, lat).data
    assert {p["code"] for p in decode(tile(client, staff, 14, lon, lat).data)["houses"]} == {
        own,
        neighbour,
    }


@pytest.mark.parametrize(
    "path, field",
    [("13/0/0", "z"), ("0/0/0", "z"), ("23/0/0", "z"), ("14/16384/0", "x"), ("14/0/16384", "y")],
)
def test_tile_numbers_out_of_range_are_refused_naming_the_parameter(client, staff, path, field):
    response = client.get(f"/api/v1/tiles/houses/{path}.mvt", headers=staff)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.json["errors"][0]["field"] == field


def test_a_zoom_below_14_says_why(client, staff):
    response = client.get("/api/v1/tiles/houses/12/3340/1785.mvt", headers=staff)
    assert response.status_code == 422
    assert "from zoom 14" in response.json["errors"][0]["message"]


def test_a_house_tile_needs_a_token(client):
    assert client.get("/api/v1/tiles/houses/14/0/0.mvt").status_code == 401
