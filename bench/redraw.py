"""Benchmark grid redraws: proposals for synthetic communities of 2,000, 5,000 and 20,000
households with and without a dense road lattice, and an approval that moves 20,000 houses.

Runs against DATABASE_URL inside a fake district (449901, far from the demo), which it clears
before and after. Prints a table; no assertions. REDRAW_SIZES=2000,5000 picks the sizes.

    . /tmp/env.sh && .venv/bin/python -m bench.redraw
"""

import json
import math
import os
import random
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

from gridgov import create_app
from gridgov.extensions import db
from gridgov.redraw import approve as approval
from gridgov.redraw import service

DISTRICT, STREET = "449901000000", "449901001000"
PREFIX = "449901"
ORIGIN = (103.0, 30.0)  # south-west corner of the fake district
BLOCK_M = 100.0  # road spacing of the dense lattice
DENSITY = 8000  # households per km²
SIZES = [int(s) for s in os.environ.get("REDRAW_SIZES", "2000,5000,20000").split(",")]
M_PER_DEG_LAT = 110_574.0


def deg(metres_x: float, metres_y: float) -> tuple[float, float]:
    lat0 = ORIGIN[1]
    return (
        ORIGIN[0] + metres_x / (111_320.0 * math.cos(math.radians(lat0))),
        ORIGIN[1] + metres_y / M_PER_DEG_LAT,
    )


def box(w, s, e, n) -> str:
    return f"ST_Multi(ST_MakeEnvelope({w}, {s}, {e}, {n}, 4326))"


def clear() -> None:
    sql = f"""
    DELETE FROM audit_events WHERE entity_type = 'grid_proposal' AND entity_key IN (
      SELECT id::text FROM grid_proposals WHERE community_code LIKE '{PREFIX}%');
    DELETE FROM grid_lineage WHERE community_code LIKE '{PREFIX}%';
    DELETE FROM grid_proposals WHERE community_code LIKE '{PREFIX}%';
    DELETE FROM changes WHERE grid_code LIKE '{PREFIX}%';
    DELETE FROM residences WHERE house_id IN (SELECT id FROM houses WHERE code LIKE '{PREFIX}%');
    DELETE FROM persons WHERE grid_code LIKE '{PREFIX}%';
    DELETE FROM house_grids WHERE house_id IN (SELECT id FROM houses WHERE code LIKE '{PREFIX}%');
    DELETE FROM houses WHERE code LIKE '{PREFIX}%';
    DELETE FROM stat_pending WHERE grid_code LIKE '{PREFIX}%';
    DELETE FROM stat_totals WHERE area_code LIKE '{PREFIX}%';
    DELETE FROM user_areas WHERE area_code LIKE '{PREFIX}%';
    DELETE FROM areas WHERE code LIKE '{PREFIX}%' AND level = 'grid';
    DELETE FROM areas WHERE code LIKE '{PREFIX}%' AND level = 'community';
    DELETE FROM areas WHERE code LIKE '{PREFIX}%';
    """
    db.session.execute(text(sql))
    db.session.commit()


def make_district(sides: list[float]) -> None:
    """The fake district and street, side by side squares for each community."""
    width = sum(sides) + 100 * len(sides)
    w, s = deg(0, 0)
    e, n = deg(width, max(sides))
    db.session.execute(
        text(
            "INSERT INTO areas (code, name, level, parent_code, geom, valid_from) VALUES "
            f"(:d, '基准区', 'district', NULL, {box(w, s, e, n)}, '2024-01-01'), "
            f"(:s, '基准街道', 'street', :d, {box(w, s, e, n)}, '2024-01-01')"
        ),
        {"d": DISTRICT, "s": STREET},
    )


def make_community(code: str, x0: float, side: float, households: int, rng) -> list:
    """A square community with four cells today and houses in compounds of 30-700 households,
    one compound per block of the road lattice; returns the lattice lines (metres)."""
    w, s = deg(x0, 0)
    e, n = deg(x0 + side, side)
    mx, my = (w + e) / 2, (s + n) / 2
    db.session.execute(
        text(
            "INSERT INTO areas (code, name, level, parent_code, geom, valid_from) "
            f"VALUES (:c, '基准社区', 'community', :s, {box(w, s, e, n)}, '2024-01-01')"
        ),
        {"c": code, "s": STREET},
    )
    for seq, (a, b, c, d) in enumerate(
        [(w, my, mx, n), (mx, my, e, n), (w, s, mx, my), (mx, s, e, my)], start=1
    ):
        db.session.execute(
            text(
                "INSERT INTO areas (code, name, level, parent_code, grid_type, geom, valid_from) "
                f"VALUES (:g, :g, 'grid', :c, 'general', {box(a, b, c, d)}, '2024-01-01')"
            ),
            {"g": f"{code}{seq:03d}", "c": code},
        )
    count = max(2, round(side / BLOCK_M))
    cuts = [side * k / count + rng.uniform(-10, 10) for k in range(1, count)]
    edges = [0.0, *cuts, side]
    blocks = [(i, j) for i in range(count) for j in range(count)]
    weights = [rng.choice([0.2, 0.6, 1.0, 1.0, 1.4, 2.0, 3.5]) for _ in blocks]
    total = sum(weights)
    rows, number = [], 0
    for (i, j), weight in zip(blocks, weights, strict=True):
        n_block = round(households * weight / total)
        x1, x2, y1, y2 = edges[i], edges[i + 1], edges[j], edges[j + 1]
        building = 0
        while n_block > 0:
            size = min(n_block, rng.randint(30, 120))
            building += 1
            bx = x0 + rng.uniform(x1 + 0.2 * (x2 - x1), x2 - 0.2 * (x2 - x1))
            by = rng.uniform(y1 + 0.2 * (y2 - y1), y2 - 0.2 * (y2 - y1))
            lon, lat = deg(bx, by)
            grid = f"{code}{1 + (lon >= mx) + 2 * (lat < my):03d}"
            rows.append((number, size, lon, lat, grid, f"苑{i}-{j}", str(building)))
            number += size
            n_block -= size
    db.session.execute(
        text(
            """
            INSERT INTO houses (code, community_code, grid_code, compound, building, unit, floor,
                                room, use, geom)
            SELECT :c || lpad((r.start + g)::text, 13, '0'), :c, r.grid, r.compound, r.building,
                   '1', 1 + g / 10, g::text, '01', ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326)
            FROM unnest(CAST(:starts AS int[]), CAST(:sizes AS int[]), CAST(:lons AS float8[]),
                        CAST(:lats AS float8[]), CAST(:grids AS text[]),
                        CAST(:compounds AS text[]), CAST(:buildings AS text[]))
                 r (start, size, lon, lat, grid, compound, building),
                 generate_series(0, r.size - 1) g
            """
        ),
        {
            "c": code,
            "starts": [r[0] for r in rows],
            "sizes": [r[1] for r in rows],
            "lons": [r[2] for r in rows],
            "lats": [r[3] for r in rows],
            "grids": [r[4] for r in rows],
            "compounds": [r[5] for r in rows],
            "buildings": [r[6] for r in rows],
        },
    )
    # One person in every other house, so an approval moves people too.
    db.session.execute(
        text(
            """
            WITH p AS (
              INSERT INTO persons (id_index, id_sealed, id_masked, id_kind, capture_method, name,
                                   sex, birth_date, kind, house_id, grid_code)
              SELECT decode(md5('bench' || h.id), 'hex'), '\\x00', '449901********0000',
                     'resident', 'typed', '基准', '1', '1980-01-01', 'resident', h.id, h.grid_code
              FROM houses h WHERE h.community_code = :c AND h.id % 2 = 0
              RETURNING id, house_id)
            INSERT INTO residences (person_id, house_id, moved_in)
            SELECT id, house_id, '2025-01-01' FROM p
            """
        ),
        {"c": code},
    )
    lines = []
    for x in cuts:
        lines.append([deg(x0 + x, -20), deg(x0 + x, side + 20)])
        lines.append([deg(x0 - 20, x), deg(x0 + side + 20, x)])
    return lines


def roads_layer(lines) -> dict:
    return {
        "type": "FeatureCollection",
        "crs": "wgs84",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": line},
            }
            for line in lines
        ],
    }


# Interior edges: where two cells of the proposal meet; on a road: within 3 m of one.
_EDGES = text(
    """
    WITH cells AS (
      SELECT cell, ST_Union(geom) AS g FROM grid_proposal_blocks WHERE proposal_id = :p
      GROUP BY cell),
    shared AS (
      SELECT ST_CollectionExtract(ST_Intersection(a.g, b.g), 2) AS e FROM cells a
      JOIN cells b ON a.cell < b.cell AND ST_Intersects(a.g, b.g)),
    edges AS (SELECT ST_Union(e) AS e FROM shared WHERE NOT ST_IsEmpty(e))
    SELECT ST_Length(e::geography) AS total,
           ST_Length(ST_Intersection(e, ST_Buffer(ST_GeomFromGeoJSON(:roads)::geography, 3)
                                         ::geometry)::geography) AS on_roads
    FROM edges
    """
)


def edge_share(proposal_id: int, lines) -> float | None:
    roads = {"type": "MultiLineString", "coordinates": lines}
    row = db.session.execute(_EDGES, {"p": proposal_id, "roads": json.dumps(roads)}).one()
    return row.on_roads / row.total if row.total else None


def main() -> None:
    app = create_app()
    rng = random.Random(20261122)
    out = []
    with app.app_context():
        clear()
        sides = [1000 * math.sqrt(n / DENSITY) for n in SIZES]
        make_district(sides)
        x0, communities = 0.0, []
        for k, (households, side) in enumerate(zip(SIZES, sides, strict=True), start=1):
            code = f"{STREET[:9]}{k:03d}"
            lines = make_community(code, x0, side, households, rng)
            communities.append((code, households, lines))
            x0 += side + 100
        db.session.commit()
        db.session.execute(text("ANALYZE houses"))
        db.session.commit()
        last = {}
        for code, households, lines in communities:
            for with_roads in (False, True):
                layer = roads_layer(lines) if with_roads else None
                started = time.perf_counter()
                result = service.propose(None, code, service.Bounds(300, 500), layer, "wgs84")
                seconds = time.perf_counter() - started
                s = result["summary"]
                out.append(
                    (
                        households,
                        "lattice" if with_roads else "none",
                        len(result["blocks"]),
                        seconds,
                        s["cells"],
                        f"{s['households_min']}/{s['households_median']}/{s['households_max']}",
                        f"{s['cells_within_bounds']}/{s['cells']}",
                        f"{s['polsby_popper_min']:.2f}/{s['polsby_popper_median']:.2f}",
                        edge_share(result["id"], lines),
                    )
                )
                last[code] = result["id"]
        print(
            f"{'households':>10} {'roads':>7} {'blocks':>6} {'seconds':>7} {'cells':>5} "
            f"{'hh min/med/max':>15} {'in bounds':>9} {'PP min/med':>10} {'edges on roads':>14}"
        )
        for hh, roads, blocks, sec, cells, spread, within, pp, share in out:
            shown = f"{share:.0%}" if share is not None else "-"
            print(
                f"{hh:>10} {roads:>7} {blocks:>6} {sec:>7.2f} {cells:>5} {spread:>15} "
                f"{within:>9} {pp:>10} {shown:>14}"
            )
        code, households, _ = max(communities, key=lambda c: c[1])
        tz = ZoneInfo(app.config["GRIDGOV_TIMEZONE"])
        settings = approval.Settings(today=datetime.now(tz).date())
        started = time.perf_counter()
        result = approval.approve(None, last[code], None, settings)
        seconds = time.perf_counter() - started
        print(
            f"\napproval of {code}: {result['moved']['houses']} houses and "
            f"{result['moved']['people']} people moved into {len(result['created'])} new cells "
            f"in {seconds:.2f} s"
        )
        clear()


if __name__ == "__main__":
    main()
