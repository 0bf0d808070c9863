"""Every format and coordinate system a district's offices hand over, written in the test with
the same library (GDAL through pyogrio) and imported through the CLI an IT officer uses."""

import json

import pytest
import shapely
from geoalchemy2.shape import to_shape
from pyproj import Transformer
from shapely.geometry import shape
from sqlalchemy import func, select

from gridgov.extensions import db
from gridgov.hierarchy import importer
from gridgov.hierarchy.models import Area
from tests import factories as f
from tests.hierarchy import files

CELL = "440303001001001"


def cells_stored() -> int:
    return db.session.scalar(select(func.count()).where(Area.level == "grid"))


def offset_m(code: str, feature: dict) -> float:
    """How far (m) a stored cell lies from where the WGS84 drawing puts it."""
    stored = to_shape(db.session.scalar(select(Area.geom).where(Area.code == code)))
    drawn = files.in_crs(feature["geometry"], "wgs84")
    return stored.hausdorff_distance(drawn) * 111_000


@pytest.mark.parametrize("suffix", [".shp", ".gpkg"])
def test_cells_from_a_shapefile_or_geopackage_are_read_in_the_crs_the_file_states(
    cli, tmp_path, suffix
):
    f.make_district(grids=False)
    cells = files.district_cells()
    path = files.write_vector(tmp_path / f"cells{suffix}", cells, "wgs84")
    result = cli.invoke(args=["grids", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["created"] == 8
    stored = db.session.scalar(select(Area).where(Area.code == CELL))
    assert (stored.name, stored.grid_type, stored.valid_from.isoformat()) == (
        "北网格",
        "general",
        f.SINCE,
    )
    assert offset_m(CELL, cells[0]) < 0.001


def test_a_geopackage_in_cgcs2000_gauss_kruger_zone_38_lands_where_its_wgs84_drawing_lies(
    cli, tmp_path
):
    """The land office's outlines and cells, all in metres on zone 38 (central meridian 114°E)."""
    importer.import_codes(f.codes_csv())
    outlines, cells = files.gauss_kruger_district()
    path = tmp_path / "areas.gpkg"
    files.write_vector(path, outlines, "EPSG:4526", drawn_in_crs=True)
    loaded = cli.invoke(args=["areas", "import-boundaries", str(path)])
    assert loaded.exit_code == 0, loaded.output
    path = files.write_vector(tmp_path / "cells.gpkg", cells, "EPSG:4526", drawn_in_crs=True)
    result = cli.invoke(args=["grids", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"created": 8, "updated": 0, "unchanged": 0, "warnings": []}
    # zone 38 undone: the cell lies where PROJ puts its corners, a kilometre east of the corner
    stored = to_shape(db.session.scalar(select(Area.geom).where(Area.code == CELL)))
    corners = Transformer.from_crs("EPSG:4526", "EPSG:4326", always_xy=True)
    west, south = corners.transform(*shape(cells[0]["geometry"]).bounds[:2])
    assert shapely.Point(west, south).distance(stored.boundary) < 1e-9
    assert stored.bounds[0] == pytest.approx(f.WEST, abs=1e-5)  # rounded to the metre
    assert cli.invoke(args=["grids", "check", f.DISTRICT]).exit_code == 0


def test_kml_states_wgs84_and_a_kml_saved_from_amap_may_be_declared_gcj02(cli, tmp_path):
    f.make_district(grids=False)
    cells = files.district_cells()
    path = files.write_vector(tmp_path / "cells.kml", cells, "wgs84")
    as_wgs84 = cli.invoke(args=["grids", "import", str(path)])
    assert as_wgs84.exit_code == 0, as_wgs84.output
    assert cells_stored() == 8
    # the same KML declared GCJ-02 moves every cell by hundreds of metres: out of its community
    db.session.execute(Area.__table__.delete().where(Area.level == "grid"))
    db.session.commit()
    as_gcj = cli.invoke(args=["grids", "import", str(path), "--crs", "gcj02"])
    assert as_gcj.exit_code == 1
    assert "outside community" in as_gcj.output and "GCJ-02" in as_gcj.output


def test_a_shapefile_without_a_prj_must_be_given_crs_and_says_so_in_one_line(cli, tmp_path):
    f.make_district(grids=False)
    path = files.write_vector(tmp_path / "cells.shp", files.district_cells(), None)
    refused = cli.invoke(args=["grids", "import", str(path)])
    assert refused.exit_code == 1
    assert refused.output.count("\n") == 1
    assert "does not say its coordinate system; give --crs" in refused.output
    assert cells_stored() == 0
    given = cli.invoke(args=["grids", "import", str(path), "--crs", "wgs84"])
    assert given.exit_code == 0, given.output
    assert cells_stored() == 8


def test_a_file_that_states_one_system_cannot_be_read_as_another(cli, tmp_path):
    f.make_district(grids=False)
    path = files.write_vector(tmp_path / "cells.gpkg", files.district_cells(), "EPSG:4526")
    refused = cli.invoke(args=["grids", "import", str(path), "--crs", "EPSG:4527"])
    assert refused.exit_code == 1
    assert "the file says CGCS2000 / 3-degree Gauss-Kruger zone 38" in refused.output
    assert cells_stored() == 0


@pytest.mark.parametrize("command", [["grids", "import"], ["areas", "import-boundaries"]])
def test_every_import_of_a_geojson_that_names_no_system_needs_crs(cli, tmp_path, command):
    f.make_district(grids=False)
    path = files.write_geojson(tmp_path / "cells.geojson", files.district_cells())
    refused = cli.invoke(args=[*command, str(path)])
    assert refused.exit_code == 1 and "give --crs" in refused.output
    assert cells_stored() == 0


def test_a_geojson_that_names_cgcs2000_in_its_crs_member_needs_no_crs(cli, tmp_path):
    f.make_district(grids=False)
    path = files.write_geojson(
        tmp_path / "cells.geojson", files.district_cells(), crs_member="urn:ogc:def:crs:EPSG::4490"
    )
    result = cli.invoke(args=["grids", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert cells_stored() == 8


def test_a_geojson_with_a_utf8_bom_is_read_like_one_without(cli, tmp_path):
    f.make_district(grids=False)
    path = files.write_geojson(tmp_path / "cells.geojson", files.district_cells(), bom=True)
    result = cli.invoke(args=["grids", "import", str(path), "--crs", "wgs84"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Area.name).where(Area.code == CELL)) == "北网格"


def test_a_gbk_csv_saved_by_excel_imports_with_its_chinese_names(cli, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_bytes(f.codes_csv().replace("\n", "\r\n").encode("gbk"))
    result = cli.invoke(args=["areas", "import-codes", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Area.name).where(Area.code == "440303001001")) == "社区001"
    declared = cli.invoke(args=["areas", "import-codes", str(path), "--encoding", "gbk"])
    assert json.loads(declared.output)["unchanged"] == 7


def test_a_file_in_an_encoding_it_is_not_is_refused_in_one_line(cli, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_bytes(f.codes_csv().encode("gbk"))
    wrong = cli.invoke(args=["areas", "import-codes", str(path), "--encoding", "utf-8"])
    assert wrong.exit_code == 1
    assert wrong.output.count("\n") == 1 and "Traceback" not in wrong.output
    assert "is not utf-8" in wrong.output
    unknown = cli.invoke(args=["areas", "import-codes", str(path), "--encoding", "klingon"])
    assert unknown.exit_code == 1 and "unknown encoding 'klingon'" in unknown.output
    assert db.session.scalar(select(func.count()).select_from(Area)) == 0


def test_a_gbk_shapefile_without_a_cpg_is_read_with_encoding(cli, tmp_path):
    f.make_district(grids=False)
    path = files.write_vector(tmp_path / "cells.shp", files.district_cells(), "wgs84", "GBK")
    (tmp_path / "cells.cpg").unlink(missing_ok=True)
    result = cli.invoke(args=["grids", "import", str(path), "--encoding", "gbk"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Area.name).where(Area.code == CELL)) == "北网格"
