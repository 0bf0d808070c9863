"""Defects 1, 2 and 5 of issue 12: a cell nobody can check, cells valid to a future day, and
outlines that do not nest, each caught on import and by the check."""

import json

import pytest
from sqlalchemy import func, select, text

from gridgov.errors import ValidationFailed
from gridgov.extensions import db
from gridgov.hierarchy import importer, topology
from gridgov.hierarchy.models import Area
from tests import factories as f

C11 = "440303001001"
WEST, EAST = f.COMMUNITIES[C11]
STREET = "440303001000"
DEG_M = 111_000  # metres per degree of latitude, near enough


def cells_stored() -> int:
    return db.session.scalar(select(func.count()).where(Area.level == "grid"))


def outline(code: str, west, south, east, north) -> str:
    return f.collection(f.feature(f.box(west, south, east, north), code=code))


def test_a_cell_is_refused_while_its_community_has_no_outline_to_check_it():
    importer.import_codes(f.codes_csv())
    far_away = f.feature(f.box(116.0, 39.0, 116.01, 39.01), code=C11 + "001", name="北")
    with pytest.raises(ValidationFailed) as caught:
        importer.import_grids(f.collection(far_away), "wgs84", f.TOLERANCE)
    assert f"community {C11} has no outline" in caught.value.detail
    assert "import the community's boundary first" in caught.value.detail
    assert cells_stored() == 0


def test_the_check_reports_cells_whose_community_lost_its_outline_as_unchecked():
    f.make_district()
    db.session.execute(text("UPDATE areas SET geom = NULL WHERE code = :c"), {"c": C11})
    db.session.commit()
    unchecked = [x for x in topology.check(C11, f.TOLERANCE) if x["kind"] == "unchecked"]
    assert [x["code"] for x in unchecked] == [C11 + "001", C11 + "002"]


def test_a_cell_valid_to_2099_that_overlaps_an_open_cell_is_refused():
    f.make_district()
    overlapping = f.feature(
        f.box(WEST, f.MID - 0.002, EAST, f.NORTH),
        code=C11 + "003",
        name="临时",
        valid_from=f.SINCE,
        valid_to="2099-12-31",
    )
    with pytest.raises(ValidationFailed) as caught:
        importer.import_grids(f.collection(overlapping), "wgs84", f.TOLERANCE)
    assert f"overlaps {C11}003" in caught.value.detail or f"{C11}001,{C11}003" in str(
        caught.value.errors
    )
    assert "until 2099-12-31" in caught.value.detail


def test_the_check_finds_an_overlap_with_a_cell_closed_on_a_future_day():
    f.make_district()
    db.session.execute(
        text(
            "INSERT INTO areas (code, name, level, parent_code, grid_type, geom, valid_from, "
            "valid_to) SELECT :code, '临时', 'grid', parent_code, 'general', geom, "
            "'2024-01-01', '2099-12-31' FROM areas WHERE code = :old"
        ),
        {"code": C11 + "003", "old": C11 + "001"},
    )
    db.session.commit()
    overlaps = [x for x in topology.check(C11, f.TOLERANCE) if x["kind"] == "overlap"]
    assert len(overlaps) == 1
    assert overlaps[0]["codes"] == [C11 + "001", C11 + "003"]
    assert (overlaps[0]["from"], overlaps[0]["to"]) == ("2024-01-01", "2099-12-31")


def test_a_cell_that_ends_before_its_successor_begins_overlaps_nothing_but_leaves_a_future_gap():
    f.make_district()
    future = "2099-01-01"
    db.session.execute(
        text("UPDATE areas SET valid_to = :d WHERE code = :c"), {"d": future, "c": C11 + "001"}
    )
    db.session.commit()
    found = topology.check(C11, f.TOLERANCE)
    assert [x["kind"] for x in found] == ["gap"]
    assert found[0]["on"] == future
    assert found[0]["area_m2"] == pytest.approx(0.01 * 102_800 * 0.01 * 110_800, rel=0.03)
    successor = f.feature(
        f.box(WEST, f.MID, EAST, f.NORTH), code=C11 + "003", name="北新", valid_from=future
    )
    result = importer.import_grids(f.collection(successor), "wgs84", f.TOLERANCE)
    assert (result.created, result.warnings) == (1, [])
    assert topology.check(C11, f.TOLERANCE) == []


def test_a_community_moved_1_5_km_is_refused_naming_how_much_lies_outside_its_street():
    f.make_district(grids=False)
    shift = 1500 / 102_800
    with pytest.raises(ValidationFailed) as caught:
        importer.import_boundaries(
            outline(C11, WEST + shift, f.SOUTH, EAST + shift, f.NORTH), "wgs84", tolerance_m2=1.0
        )
    error = caught.value.errors[0]
    assert error["field"] == C11
    assert f"community {C11} lies" in error["message"] and f"outside {STREET}" in error["message"]
    stored = db.session.scalar(
        select(func.ST_XMin(func.ST_Envelope(Area.geom))).where(Area.code == C11)
    )
    assert stored == pytest.approx(WEST)  # nothing kept


def test_a_street_grown_400_m_is_refused_outside_the_district():
    f.make_district(grids=False)
    west, east = f.STREETS[STREET]
    grown = 400 / DEG_M
    with pytest.raises(ValidationFailed) as caught:
        importer.import_boundaries(
            outline(STREET, west, f.SOUTH - grown, east, f.NORTH), "wgs84", tolerance_m2=1.0
        )
    message = caught.value.errors[0]["message"]
    assert f"street {STREET} lies" in message and f"outside {f.DISTRICT}" in message
    area = float(message.split(" lies ")[1].split(" m²")[0])
    assert area == pytest.approx(2000 * 400 * 1.03, rel=0.05)  # 2 km x 400 m


def test_a_community_shrunk_under_its_cells_is_refused():
    f.make_district()
    with pytest.raises(ValidationFailed) as caught:
        importer.import_boundaries(
            outline(C11, WEST, f.SOUTH + 0.001, EAST, f.NORTH), "wgs84", tolerance_m2=1.0
        )
    assert caught.value.errors[0]["field"] == C11 + "002"
    assert f"outside community {C11}" in caught.value.errors[0]["message"]


def test_an_overhang_just_above_the_tolerance_shows_enough_digits_to_tell():
    f.make_district(grids=False)
    # a sliver of 0.0000001° x 0.01°: about 1.14 m² beyond the community's west edge
    sliver = 1.0e-7
    cell = f.feature(f.box(WEST - sliver, f.SOUTH, EAST, f.NORTH), code=C11 + "001", name="北")
    with pytest.raises(ValidationFailed) as caught:
        importer.import_grids(f.collection(cell), "wgs84", 1.0)
    message = caught.value.errors[0]["message"]
    area = message.split("lies ")[1].split(" m²")[0]
    assert len(area.split(".")[1]) == 3 and float(area) > 1.0
    assert "(tolerance 1 m²)" in message
    assert "WGS84" in message


def test_faults_say_their_points_are_wgs84(client):
    f.make_district(grids=False)
    headers = f.auth_as(client, "district_staff", [f.DISTRICT])
    response = client.get(f"/api/v1/grids/check?area={f.DISTRICT}", headers=headers)
    assert response.json["faults"] and all(
        x["point_crs"] == "EPSG:4326" for x in response.json["faults"]
    )


def test_a_whole_district_check_can_leave_out_communities_not_yet_gridded(client, cli):
    f.make_district(grids=False)
    importer.import_grids(f.collection(*f.grid_features(C11)), "wgs84", f.TOLERANCE)
    headers = f.auth_as(client, "district_staff", [f.DISTRICT])
    everything = client.get(f"/api/v1/grids/check?area={f.DISTRICT}", headers=headers).json
    assert {x["community"] for x in everything["faults"]} == set(f.COMMUNITIES) - {C11}
    gridded = client.get(
        f"/api/v1/grids/check?area={f.DISTRICT}&skip_ungridded=true", headers=headers
    ).json
    assert gridded["ok"] is True
    assert cli.invoke(args=["grids", "check", f.DISTRICT]).exit_code == 1
    result = cli.invoke(args=["grids", "check", f.DISTRICT, "--skip-ungridded"])
    assert result.exit_code == 0 and "0 fault(s)" in result.output


def test_the_check_reports_a_street_that_sticks_out_of_its_district():
    f.make_district()
    db.session.execute(
        text(
            "UPDATE areas SET geom = ST_Multi(ST_MakeEnvelope(114.0, 22.49, 114.02, 22.52, 4326))"
            " WHERE code = :c"
        ),
        {"c": STREET},
    )
    db.session.commit()
    [fault] = [x for x in topology.check(f.DISTRICT[:6], f.TOLERANCE) if x["kind"] != "gap"]
    assert (fault["kind"], fault["code"], fault["parent"]) == ("outside_parent", STREET, f.DISTRICT)
    assert json.dumps(fault)  # plain JSON for the API and the CLI
