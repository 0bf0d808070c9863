import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import shape
from sqlalchemy import func, select

from gridgov.audit.models import AuditEvent
from gridgov.errors import ValidationFailed
from gridgov.extensions import db
from gridgov.geo import gcj02_to_wgs84, wgs84_to_gcj02
from gridgov.hierarchy import importer, topology
from gridgov.hierarchy.models import Area
from tests import factories as f

GEODATA = Path(__file__).resolve().parents[2] / "geodata"


def count(level=None) -> int:
    stmt = select(func.count()).select_from(Area)
    return db.session.scalar(stmt.where(Area.level == level) if level else stmt)


def test_real_luohu_codes_import_with_their_hierarchy():
    text = (GEODATA / "luohu_440303_codes_nbs2023.csv").read_text(encoding="utf-8")
    result = importer.import_codes(text)
    assert (result.created, count("street"), count("community")) == (120, 10, 109)
    community = db.session.scalar(select(Area).where(Area.code == "440303005014"))
    assert community.parent_code == "440303005000"
    assert community.name == "渔民村社区居民委员会"


def test_importing_the_same_codes_twice_changes_nothing():
    importer.import_codes(f.codes_csv())
    audit_rows = db.session.scalar(select(func.count()).select_from(AuditEvent))
    again = importer.import_codes(f.codes_csv())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audit_rows


def test_a_renamed_community_is_updated_and_audited():
    importer.import_codes(f.codes_csv())
    result = importer.import_codes(
        f.codes_csv().replace("440303001001,社区001", "440303001001,新社区001")
    )
    assert result.updated == 1
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_key == "440303001001")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert (event.before, event.after) == ({"name": "社区001"}, {"name": "新社区001"})


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ("44030300100,短码,440303001000,community", "is not a 12-digit area code"),
        ("440303001009,无上级,440303009000,community", "440303009000 is not a known street"),
        ("440303001009,错级,440303001000,street", "is not a street code by its digits"),
        ("440303002009,跨街,440303001000,community", "does not lie under 440303001000"),
    ],
)
def test_a_bad_code_row_rejects_the_whole_file(bad_line, message):
    with pytest.raises(ValidationFailed) as caught:
        importer.import_codes(f.codes_csv() + bad_line + "\n")
    assert any(message in e["message"] for e in caught.value.errors)
    assert caught.value.errors[0]["field"].startswith("line 9")
    assert count() == 0


def test_gcj02_boundary_is_stored_in_wgs84():
    importer.import_codes((GEODATA / "luohu_440303_codes_nbs2023.csv").read_text(encoding="utf-8"))
    raw = (GEODATA / "luohu_440303_district_gcj02.geojson").read_text(encoding="utf-8")
    importer.import_boundaries(raw, "gcj02")
    stored = to_shape(db.session.scalar(select(Area.geom).where(Area.code == "440303000000")))
    gcj = shape(json.loads(raw)["features"][0]["geometry"])
    glon, glat = np.array(gcj.exterior.coords).T
    expected = np.column_stack(gcj02_to_wgs84(glon, glat))
    kept = np.array(stored.geoms[0].exterior.coords)
    # every vertex of the file is kept, converted; the points added between them (densified to
    # 20 m) lie on the file's straight edges once converted back
    distance = np.abs(kept[:, None, :] - expected[None, :, :]).max(axis=2).min(axis=0)
    assert distance.max() < 1e-9 and len(kept) > len(expected)
    back = shapely.points(np.column_stack(wgs84_to_gcj02(kept[:, 0], kept[:, 1])))
    assert shapely.distance(gcj.exterior, back).max() < 1e-8  # about 1 mm
    # about 78.9 km², and the whole outline moved by hundreds of metres
    assert db.session.scalar(
        select(func.area_m2(Area.geom)).where(Area.level == "district")
    ) == pytest.approx(78.9e6, rel=0.01)
    assert 0.002 < abs(gcj.centroid.x - stored.centroid.x) < 0.01


def test_a_boundary_for_an_unknown_code_is_rejected():
    f.make_district(grids=False)
    bad = f.collection(f.feature(f.box(0, 0, 1, 1), code="440303009009"))
    with pytest.raises(ValidationFailed, match="not a known district, street or community"):
        importer.import_boundaries(bad, "wgs84")


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ('{"type": "Point", "coordinates": [1, 2]}', "FeatureCollection or Feature"),
        ('{"type": "FeatureCollection", "features": []}', "non-empty list"),
        (
            f.collection(
                {
                    "type": "Feature",
                    "properties": {"code": "440303001001001", "name": "x"},
                    "geometry": {"type": "Polygon", "coordinates": [[[114, 22]]]},
                }
            ),
            "malformed coordinates",
        ),
    ],
)
def test_malformed_geojson_is_rejected_with_a_reason(text, message):
    f.make_district(grids=False)
    with pytest.raises(ValidationFailed) as caught:
        importer.import_grids(text, "wgs84", f.TOLERANCE)
    assert message in caught.value.detail
    assert count("grid") == 0


def test_a_self_intersecting_grid_cell_rejects_the_whole_file():
    f.make_district(grids=False)
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[114.0, 22.5], [114.01, 22.51], [114.01, 22.5], [114.0, 22.51], [114.0, 22.5]]
        ],
    }
    good = f.grid_features("440303001002")
    bad = f.feature(bowtie, code="440303001001001", name="坏网格")
    with pytest.raises(ValidationFailed) as caught:
        importer.import_grids(f.collection(*good, bad), "wgs84", f.TOLERANCE)
    assert caught.value.errors[0]["field"] == "features[2].geometry"
    assert "Self-intersection" in caught.value.errors[0]["message"]
    assert count("grid") == 0


def test_grid_import_is_idempotent():
    f.make_district()
    cells = [x for c in f.COMMUNITIES for x in f.grid_features(c)]
    again = importer.import_grids(f.collection(*cells), "wgs84", f.TOLERANCE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 8)
    assert count("grid") == 8


def test_a_redrawn_cell_under_an_old_code_is_refused():
    f.make_district()
    moved = f.feature(f.box(114.0, 22.505, 114.01, 22.52), code="440303001001001", name="北网格")
    with pytest.raises(ValidationFailed, match="a redrawn cell needs a new code"):
        importer.import_grids(f.collection(moved), "wgs84", f.TOLERANCE)


def test_a_district_drawn_in_gcj02_keeps_its_shared_edges_and_t_junctions_when_converted():
    """Outlines and cells all drawn on an AMap (GCJ-02) base map with straight edges: converted
    edge by edge they would drift apart by up to 11.5 cm a kilometre; densified first, nothing
    sticks out and nothing is left uncovered, even where a cell's corner lies on another's edge."""
    importer.import_codes(f.codes_csv())
    outlines = [f.feature(f.box(f.WEST, f.SOUTH, f.EAST, f.NORTH), code=f.DISTRICT)]
    outlines += [
        f.feature(f.box(w, f.SOUTH, e, f.NORTH), code=c) for c, (w, e) in f.STREETS.items()
    ]
    outlines += [
        f.feature(f.box(w, f.SOUTH, e, f.NORTH), code=c) for c, (w, e) in f.COMMUNITIES.items()
    ]
    assert importer.import_boundaries(f.collection(*outlines), "gcj02").created == 0
    west, east = f.COMMUNITIES["440303001001"]
    middle = (west + east) / 2  # the south cells meet on the north cell's edge: a T-junction
    cells = [
        f.feature(f.box(west, f.MID, east, f.NORTH), code="440303001001001", name="北"),
        f.feature(f.box(west, f.SOUTH, middle, f.MID), code="440303001001002", name="西南"),
        f.feature(f.box(middle, f.SOUTH, east, f.MID), code="440303001001003", name="东南"),
    ]
    result = importer.import_grids(f.collection(*cells), "gcj02", 0.01)
    assert result.created == 3
    assert result.warnings == []
    assert topology.check("440303001001", 0.01) == []
