"""The import commands themselves: flask areas import-codes / import-boundaries, flask grids
import, each as an operator runs it (a file, a coordinate system, an exit code, a report)."""

import json

import numpy as np
import pytest
from geoalchemy2.shape import to_shape
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
    ring = np.array(geometry["coordinates"][0])
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


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_import_commands_build_the_district_from_files_in_bd09_and_gcj02(cli, tmp_path):
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
    assert (status, report["updated"]) == (0, 7)
    # Stored in WGS84: back on the box corners to within a few centimetres (the BD-09 inverse is
    # approximate), where the file's own numbers lie more than a kilometre to the east.
    expected = np.array(f.box(f.WEST, f.SOUTH, f.EAST, f.NORTH)["coordinates"][0])
    assert np.abs(outline(f.DISTRICT) - expected).max() < 1e-6
    assert (np.array(outlines[0]["geometry"]["coordinates"][0])[:, 0] - expected[:, 0] > 0.01).all()

    cells = [
        {**cell, "geometry": in_crs(cell["geometry"], "gcj02")}
        for community in f.COMMUNITIES
        for cell in f.grid_features(community)
    ]
    gcj02 = write(tmp_path, "grids.geojson", f.collection(*cells))
    status, report = run(cli, "grids", "import", gcj02, "--crs", "gcj02")
    assert status == 0, report
    assert (report["created"], report["warnings"]) == (8, [])
    assert (
        np.abs(
            outline(f.OWN_CELL)
            - np.array(f.grid_features("440303001001")[0]["geometry"]["coordinates"][0])
        ).max()
        < 1e-6
    )
    # The same files again change nothing and leave no audit row.
    audited = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert run(cli, "areas", "import-codes", codes)[1]["unchanged"] == 7
    assert run(cli, "areas", "import-boundaries", bd09, "--crs", "bd09")[1]["unchanged"] == 7
    assert run(cli, "grids", "import", gcj02, "--crs", "gcj02")[1]["unchanged"] == 8
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
