"""The import commands themselves: flask areas import-codes / import-boundaries, flask grids
import, each as an operator runs it (a file, a coordinate system, an exit code, a report)."""

import json

import numpy as np
import pytest
from geoalchemy2.shape import to_shape
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.geo import gcj02_to_bd09, wgs84_to_gcj02
from gridgov.hierarchy.models import Area
from tests import factories as f


def run(cli, *args) -> tuple[int, dict | str]:
    result = cli.invoke(args=[str(a) for a in args])
    lines = result.output.strip().splitlines()
    try:
        return result.exit_code, json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return result.exit_code, result.output


def in_crs(geometry: dict, crs: str) -> dict:
    """A WGS84 polygon's coordinates as a map in that system would publish them."""
    corners = np.array(geometry["coordinates"][0])
    # A vertex every 0.005 degrees, so outlines that share an edge share its vertices (as a map's
    # layers do) and stay shared after the curved conversion.
    ring = [corners[0]]
    for a, b in zip(corners[:-1], corners[1:], strict=True):
        steps = max(1, round(np.abs(b - a).max() / 0.005))
        ring += [a + (b - a) * k / steps for k in range(1, steps + 1)]
    ring = np.array(ring)
    lon, lat = wgs84_to_gcj02(ring[:, 0], ring[:, 1])
    if crs == "bd09":
        lon, lat = gcj02_to_bd09(lon, lat)
    return {"type": "Polygon", "coordinates": [np.column_stack([lon, lat]).tolist()]}


def outline(code: str) -> np.ndarray:
    return np.array(
        to_shape(db.session.scalar(select(Area.geom).where(Area.code == code)))
        .geoms[0]
        .exterior.coords
    )


def off_box(points: np.ndarray, box: dict) -> float:
    """How far, in degrees, the farthest of the points lies from the box's outline."""
    edge = shape(box).exterior
    return max(edge.distance(Point(p)) for p in points)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_import_commands_build_the_district_from_files_in_bd09(cli, tmp_path):
    codes = write(tmp_path, "codes.csv", f.codes_csv())
    assert run(cli, "areas", "import-codes", codes) == (
        0,
        {"created": 7, "updated": 0, "unchanged": 0, "warnings": []},
    )
    boxes = {f.DISTRICT: (f.WEST, f.EAST), **f.STREETS, **f.COMMUNITIES}
    outlines = [
        f.feature(in_crs(f.box(w, f.SOUTH, e, f.NORTH), "bd09"), code=c)
        for c, (w, e) in boxes.items()
    ]
    bd09 = write(tmp_path, "outlines.geojson", f.collection(*outlines))
    status, report = run(cli, "areas", "import-boundaries", bd09, "--crs", "bd09")
    assert status == 0, report
    assert report["updated"] == 7
    # Stored in WGS84: back on the box corners to within a few centimetres (the BD-09 inverse is
    # approximate), where the file's own numbers lie more than a kilometre to the east.
    # (within a metre: between the file's vertices its straight BD-09 edges bow a little)
    assert off_box(outline(f.DISTRICT), f.box(f.WEST, f.SOUTH, f.EAST, f.NORTH)) < 1e-5
    assert outlines[0]["geometry"]["coordinates"][0][0][0] - f.WEST > 0.01

    cells = [
        {**cell, "geometry": in_crs(cell["geometry"], "bd09")}
        for community in f.COMMUNITIES
        for cell in f.grid_features(community)
    ]
    grids = write(tmp_path, "grids.geojson", f.collection(*cells))
    status, report = run(cli, "grids", "import", grids, "--crs", "bd09")
    assert status == 0, report
    assert (report["created"], report["warnings"]) == (8, [])
    assert off_box(outline(f.OWN_CELL), f.grid_features("440303001001")[0]["geometry"]) < 1e-5
    # The same files again change nothing and leave no audit row.
    audited = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert run(cli, "areas", "import-codes", codes)[1]["unchanged"] == 7
    assert run(cli, "areas", "import-boundaries", bd09, "--crs", "bd09")[1]["unchanged"] == 7
    assert run(cli, "grids", "import", grids, "--crs", "bd09")[1]["unchanged"] == 8
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audited


def test_a_grid_file_in_the_wrong_crs_is_refused_whole_with_exit_1(cli, tmp_path):
    f.make_district(grids=False)
    cells = [
        {**cell, "geometry": in_crs(cell["geometry"], "bd09")}
        for cell in f.grid_features("440303001001")
    ]
    # BD-09 numbers read as WGS84 lie outside their community: nothing may be written.
    path = write(tmp_path, "grids.geojson", f.collection(*cells))
    status, output = run(cli, "grids", "import", path)
    assert status == 1 and "error:" in output
    db.session.remove()
    assert db.session.scalar(select(func.count()).where(Area.level == "grid")) == 0


@pytest.mark.parametrize("command", [["areas", "import-codes"], ["grids", "import"]])
def test_an_import_of_a_missing_file_names_it(cli, command, tmp_path):
    result = cli.invoke(args=[*command, str(tmp_path / "nowhere.csv")])
    assert result.exit_code == 2 and "nowhere.csv" in result.output
