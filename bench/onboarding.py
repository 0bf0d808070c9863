"""Benchmark onboarding a district from its files: 20 streets, 200 communities and 2,000 grid
cells drawn on a GCJ-02 base map, imported from GeoJSON, Shapefile, GeoPackage and KML; then the
overhang of converted shared edges (a community sticking out of its street, a cell out of its
community) with edges densified before converting, and without, for contrast.

Runs against DATABASE_URL inside a fake district (449902, far from the demo), which it clears
before and after. Prints a table; no assertions. ONBOARD_FORMATS=geojson,gpkg picks formats.

    . /tmp/env.sh && .venv/bin/python -m bench.onboarding
"""

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from pyogrio.raw import write
from shapely.geometry import box, mapping
from sqlalchemy import text

from gridgov import create_app, geo
from gridgov.extensions import db
from gridgov.geofiles import read_path
from gridgov.hierarchy import importer

DISTRICT, PREFIX = "449902000000", "449902"
WEST, SOUTH = 104.00, 30.60  # GCJ-02, south-west corner
STREETS = (5, 4)  # columns, rows: 20 streets
COMMUNITIES = (5, 2)  # per street: 200 communities
CELLS = (5, 2)  # per community: 2,000 cells
STEP = 0.003  # degrees: a cell about 290 m x 330 m, a street about 7 km x 2 km
FORMATS = os.environ.get("ONBOARD_FORMATS", "geojson,shp,gpkg,kml").split(",")
TOLERANCE = 1.0


def layout():
    """Codes CSV, outlines (district, streets, communities) and cells, as straight rectangles
    in GCJ-02: each street's long edge runs past five communities' corners (T-junctions)."""
    cw, ch = CELLS
    mw, mh = COMMUNITIES[0] * cw, COMMUNITIES[1] * ch  # a street, in cells
    rows = ["code,name,parent_code,level", f"{DISTRICT},基准区,449900000000,district"]
    outlines = [
        (DISTRICT, box(WEST, SOUTH, WEST + STREETS[0] * mw * STEP, SOUTH + STREETS[1] * mh * STEP))
    ]
    cells = []
    for s in range(STREETS[0] * STREETS[1]):
        street = f"{PREFIX}{s + 1:03d}000"
        sx, sy = (s % STREETS[0]) * mw, (s // STREETS[0]) * mh
        rows.append(f"{street},街道{s + 1},{DISTRICT},street")
        outlines.append((street, _rect(sx, sy, mw, mh)))
        for c in range(COMMUNITIES[0] * COMMUNITIES[1]):
            community = f"{street[:9]}{c + 1:03d}"
            cx, cy = sx + (c % COMMUNITIES[0]) * cw, sy + (c // COMMUNITIES[0]) * ch
            rows.append(f"{community},社区{s + 1}-{c + 1}社区居委会,{street},community")
            outlines.append((community, _rect(cx, cy, cw, ch)))
            for g in range(cw * ch):
                code = f"{community}{g + 1:03d}"
                cells.append((code, _rect(cx + g % cw, cy + g // cw, 1, 1)))
    return "\n".join(rows) + "\n", outlines, cells


def _rect(x, y, w, h):
    return box(WEST + x * STEP, SOUTH + y * STEP, WEST + (x + w) * STEP, SOUTH + (y + h) * STEP)


def write_file(path: Path, items, grid: bool) -> Path:
    """A layer as its format writes it; every one holds GCJ-02 and is declared so."""
    if path.suffix == ".geojson":
        features = [
            {"type": "Feature", "properties": _props(code, grid), "geometry": mapping(geom)}
            for code, geom in items
        ]
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        return path
    driver = {".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".kml": "KML"}[path.suffix]
    props = [_props(code, grid) for code, _ in items]
    names = list(props[0])
    write(
        path,
        np.array([shapely.to_wkb(g) for _, g in items], object),
        [np.array([p[n] for p in props], object) for n in names],
        names,
        driver=driver,
        geometry_type="MultiPolygon",
        promote_to_multi=True,
        crs=None if driver == "ESRI Shapefile" else "EPSG:4326",  # the file cannot say GCJ-02
    )
    return path


def _props(code: str, grid: bool) -> dict:
    if not grid:
        return {"code": code}
    return {"code": code, "name": f"第{int(code[12:])}网格", "grid_type": "general"}


def clear() -> None:
    db.session.execute(
        text("DELETE FROM audit_events WHERE entity_type = 'area' AND entity_key LIKE :p || '%'"),
        {"p": PREFIX},
    )
    for level in ("grid", "community", "street", "district"):
        db.session.execute(
            text("DELETE FROM areas WHERE level = :l AND code LIKE :p || '%'"),
            {"l": level, "p": PREFIX},
        )
    db.session.commit()


_OVERHANG = text(
    """
    SELECT p.code, sum(area_m2(ST_Difference(c.geom, p.geom))) AS m2
    FROM areas c JOIN areas p ON p.code = c.parent_code
    WHERE c.code LIKE :p || '%' AND p.level = :level
    GROUP BY p.code
    """
)


def overhang() -> dict:
    """m² sticking out, per parent: communities out of their street, cells out of their
    community."""
    out = {}
    for level in ("street", "community"):
        rows = db.session.execute(_OVERHANG, {"p": PREFIX, "level": level}).all()
        values = sorted(float(r.m2 or 0) for r in rows)
        out[level] = (values[-1], sum(values) / len(values))
    return out


def onboard(codes: str, outlines_path: Path, cells_path: Path, tolerance: float) -> dict:
    clear()
    times = {}
    start = time.perf_counter()
    importer.import_codes(codes)
    times["codes"] = time.perf_counter() - start
    start = time.perf_counter()
    importer.import_boundaries(read_path(outlines_path), "gcj02", tolerance_m2=tolerance)
    times["outlines"] = time.perf_counter() - start
    start = time.perf_counter()
    importer.import_grids(read_path(cells_path), "gcj02", tolerance)
    times["cells"] = time.perf_counter() - start
    return times


def main() -> None:
    app = create_app()
    codes, outlines, cells = layout()
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        print(f"{len(outlines) - 1} outlines (20 streets, 200 communities), {len(cells)} cells")
        print("| format | codes s | outlines s | cells s | total s |")
        print("|---|---:|---:|---:|---:|")
        for fmt in FORMATS:
            a = write_file(Path(tmp) / f"areas.{fmt}", outlines, grid=False)
            c = write_file(Path(tmp) / f"cells.{fmt}", cells, grid=True)
            t = onboard(codes, a, c, TOLERANCE)
            print(
                f"| {fmt} | {t['codes']:.2f} | {t['outlines']:.2f} | {t['cells']:.2f} | "
                f"{sum(t.values()):.2f} |"
            )
        densified = overhang()
        vertices = db.session.scalar(
            text(
                "SELECT avg(ST_NPoints(geom)) FROM areas "
                "WHERE level = 'grid' AND code LIKE :p || '%'"
            ),
            {"p": PREFIX},
        )
        # Without densifying (vertex by vertex, as before): nothing would pass the checks, so
        # the tolerance is lifted to measure how far the outlines drift apart.
        plain = geo.densify
        geo.densify = lambda geom, crs: geom
        try:
            a = write_file(Path(tmp) / "areas.geojson", outlines, grid=False)
            c = write_file(Path(tmp) / "cells.geojson", cells, grid=True)
            onboard(codes, a, c, 1e12)
            raw = overhang()
        finally:
            geo.densify = plain
        print()
        print("| overhang of converted shared edges (m²) | max per parent | mean per parent |")
        print("|---|---:|---:|")
        for label, values in (("densified to 20 m", densified), ("vertex by vertex", raw)):
            for level, what in (("street", "communities out of their street"),
                                ("community", "cells out of their community")):  # fmt: skip
                m, mean = values[level]
                print(f"| {label}: {what} | {m:.4f} | {mean:.4f} |")
        print(f"\nvertices per cell after densifying: {vertices:.0f} (5 drawn)")
        clear()


if __name__ == "__main__":
    main()
