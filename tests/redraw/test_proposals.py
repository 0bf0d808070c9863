"""Proposals on synthetic communities with known answers: a lattice of blocks between roads,
compounds without roads, a compound too big for one cell, kept dedicated cells."""

import json

import numpy as np
import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import text

from gridgov.extensions import db
from gridgov.geo import gcj02_to_bd09, wgs84_to_gcj02
from tests import factories as f
from tests.redraw import helpers as h


def staff(client):
    f.make_district()
    return f.auth_as(client, h.STREET_STAFF, ["440303001000"])


def test_a_lattice_of_blocks_becomes_equal_cells_whose_edges_run_on_roads(client):
    headers = staff(client)
    h.fill_lattice(4, 8, lambda i, j: 100)
    roads = h.lattice_roads(4, 8)
    preview = h.propose(client, headers, roads=roads)

    assert preview["method"] == "roads" and preview["status"] == "draft"
    assert len(preview["blocks"]) == 32
    assert sorted(h.households_by_cell(preview).values()) == [400] * 8
    assert preview["violations"] == []
    summary = preview["summary"]
    assert summary["cells_within_bounds"] == 8 and summary["polsby_popper_min"] > 0.45
    assert all(c["properties"]["contiguous"] for c in preview["cells"]["features"])
    assert sum(m["houses"] for cell in preview["moves"] for m in cell["from"]) == 3200
    # 无缝衔接: the cells cover the community exactly, and every edge runs on a road or the edge.
    row = db.session.execute(
        text(
            """
            WITH cells AS (
              SELECT ST_GeomFromGeoJSON(f->>'geometry') AS g
              FROM json_array_elements(CAST(:cells AS json)) f),
            edge AS (
              SELECT ST_Union(ST_Boundary(geom), ST_GeomFromGeoJSON(:roads)) AS lines
              FROM areas WHERE code = :community)
            SELECT (SELECT sum(ST_Area(g)) FROM cells) / ST_Area(c.geom) AS summed,
                   ST_Area(ST_SymDifference((SELECT ST_Union(g) FROM cells), c.geom)) AS diff,
                   (SELECT bool_and(ST_Covers(ST_Buffer(e.lines, 1e-7), ST_Boundary(g)))
                    FROM cells, edge e) AS on_roads
            FROM areas c WHERE c.code = :community
            """
        ),
        {
            "cells": json.dumps(preview["cells"]["features"]),
            "roads": json.dumps(
                {
                    "type": "MultiLineString",
                    "coordinates": [r["geometry"]["coordinates"] for r in roads["features"]],
                }
            ),
            "community": h.COMMUNITY,
        },
    ).one()
    assert abs(row.summed - 1) < 1e-6 and row.diff < 1e-12 and row.on_roads


def roads_as_published(crs: str) -> dict:
    """The lattice's roads with their points as an AMap (GCJ-02) or Baidu (BD-09) layer has them."""
    roads = h.lattice_roads(2, 4, crs=crs)
    for road in roads["features"]:
        # A published layer has its roads' points every few metres; a straight line between
        # two far points of a BD-09 layer is not straight on the ground.
        line = shapely.segmentize(shapely.LineString(road["geometry"]["coordinates"]), 0.0002)
        lon, lat = np.array(line.coords).T
        lon, lat = wgs84_to_gcj02(lon, lat)
        if crs == "bd09":
            lon, lat = gcj02_to_bd09(lon, lat)
        road["geometry"]["coordinates"] = np.column_stack([lon, lat]).tolist()
    return roads


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_road_lines_in_gcj02_or_bd09_cut_the_same_blocks_as_in_wgs84(client, crs):
    headers = staff(client)
    h.fill_lattice(2, 4, lambda i, j: 100)
    cells = {}
    for name, roads in (("wgs84", h.lattice_roads(2, 4)), (crs, roads_as_published(crs))):
        preview = h.propose(client, headers, min=150, max=250, roads=roads)
        assert preview["method"] == "roads" and len(preview["blocks"]) == 8, name
        cells[name] = {c["id"]: shape(c["geometry"]) for c in preview["cells"]["features"]}
    assert sorted(cells[crs]) == sorted(cells["wgs84"]) == [1, 2, 3, 4]
    for cell, outline in cells["wgs84"].items():
        # (converted lines bow a little between their points: metres², not a block's 1.5e5 m²)
        assert cells[crs][cell].symmetric_difference(outline).area < 1e-8, cell
    # Read as WGS84, the same numbers lie 0.5-1.2 km off: they cut other blocks, or none.
    misread = {**roads_as_published(crs), "crs": "wgs84"}
    response = client.post(
        "/api/v1/grids/proposals",
        json={"community": h.COMMUNITY, "min": 150, "max": 250, "roads": misread},
        headers=headers,
    )
    if crs == "gcj02":  # 500 m east: what still reaches the community cuts it nowhere
        assert response.status_code == 201 and len(response.json["blocks"]) == 1
    else:  # 1.2 km east, beyond the community's 1 km width
        assert response.status_code == 422
        assert "none of the lines reaches" in response.json["errors"][0]["message"]


def test_cells_are_numbered_west_to_east_north_to_south(client):
    headers = staff(client)
    h.fill_lattice(2, 2, lambda i, j: 400)
    preview = h.propose(client, headers, roads=h.lattice_roads(2, 2))
    centroids = {}
    for cell in preview["cells"]["features"]:
        ring = cell["geometry"]["coordinates"][0][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        centroids[cell["id"]] = (round(sum(xs) / len(xs), 4) > 114.005, sum(ys) / len(ys) > f.MID)
    # (east?, north?) of cells 1..4: north-west, north-east, south-west, south-east
    assert [centroids[i] for i in (1, 2, 3, 4)] == [
        (False, True),
        (True, True),
        (False, False),
        (True, False),
    ]


def test_without_roads_no_compound_is_cut_between_cells(client):
    headers = staff(client)
    sizes = [180, 60, 240, 120, 90, 300, 150, 210, 75, 135, 195, 45]
    for k, n in enumerate(sizes):
        lon = h.WEST + 0.001 + (k % 4) * 0.0025
        lat = f.SOUTH + 0.002 + (k // 4) * 0.0065
        h.add_houses(n, lon, lat, compound=f"园{k}")
    preview = h.propose(client, headers, min=300, max=500)

    assert preview["method"] == "compounds"
    split = db.session.execute(
        text(
            """
            SELECT h.compound FROM grid_proposal_houses ph
            JOIN grid_proposal_blocks b USING (proposal_id, block_no)
            JOIN houses h ON h.id = ph.house_id
            WHERE ph.proposal_id = :p GROUP BY h.compound HAVING count(DISTINCT b.cell) > 1
            """
        ),
        {"p": preview["id"]},
    ).all()
    assert split == []
    counts = h.households_by_cell(preview)
    assert sum(counts.values()) == sum(sizes)
    assert all(300 <= n <= 500 for n in counts.values()), counts
    assert all(c["properties"]["contiguous"] for c in preview["cells"]["features"])


def test_a_compound_too_big_for_one_cell_is_reported_instead_of_failing(client):
    headers = staff(client)
    h.add_houses(900, *h.block_centre(2, 2, 0, 0), compound="巨型小区")
    h.add_houses(400, *h.block_centre(2, 2, 1, 1), compound="小区乙")
    preview = h.propose(client, headers, roads=h.lattice_roads(2, 2))

    [violation] = preview["violations"]
    assert violation["bound"] == "max" and violation["households"] == 900
    assert violation["limit"] == 500 and "single block" in violation["reason"]
    assert sorted(h.households_by_cell(preview).values())[-1] == 900


def test_dedicated_cells_are_kept_and_their_houses_left_alone(client):
    headers = staff(client)
    school = h.COMMUNITY + "003"
    db.session.execute(
        text(
            "INSERT INTO areas (code, name, level, parent_code, grid_type, geom, valid_from) "
            "VALUES (:code, '学校', 'grid', :community, 'dedicated', "
            "ST_Multi(ST_MakeEnvelope(114.002, 22.512, 114.004, 22.514, 4326)), '2024-01-01')"
        ),
        {"code": school, "community": h.COMMUNITY},
    )
    db.session.commit()
    h.fill_lattice(2, 4, lambda i, j: 100)
    h.add_houses(30, 114.003, 22.513, compound="学校宿舍")
    db.session.execute(
        text("UPDATE houses SET grid_code = :school WHERE compound = '学校宿舍'"),
        {"school": school},
    )
    db.session.commit()
    preview = h.propose(client, headers, min=150, max=250, roads=h.lattice_roads(2, 4))

    assert [k["code"] for k in preview["kept"]] == [school]
    assert preview["kept"][0]["households"] == 30
    assert preview["summary"]["households"] == 800
    overlap = h.scalar(
        "SELECT max(ST_Area(ST_Intersection(b.geom, a.geom))) FROM grid_proposal_blocks b, "
        "areas a WHERE a.code = :school AND b.proposal_id = :p",
        school=school,
        p=preview["id"],
    )
    assert overlap < 1e-12


def test_the_command_line_proposes_for_a_community(cli, tmp_path):
    f.make_district()
    h.fill_lattice(2, 2, lambda i, j: 200)
    roads = tmp_path / "roads.geojson"
    roads.write_text(json.dumps(h.lattice_roads(2, 2)), encoding="utf-8")
    result = cli.invoke(
        args=["grids", "propose", h.COMMUNITY, "--roads", str(roads), "--min", "300"]
    )
    assert result.exit_code == 0, result.output
    preview = json.loads(result.output)
    assert sorted(h.households_by_cell(preview).values()) == [400, 400]
    failed = cli.invoke(args=["grids", "propose", h.COMMUNITY, "--min", "600", "--max", "500"])
    assert failed.exit_code == 1 and "min" in failed.output
    approved = cli.invoke(args=["grids", "approve", str(preview["id"]), "--date", "2026-06-01"])
    assert approved.exit_code == 0, approved.output
    assert [c["code"][-3:] for c in json.loads(approved.output)["created"]] == ["003", "004"]
