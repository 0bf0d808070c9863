import pytest
from sqlalchemy import text

from gridgov.errors import ValidationFailed
from gridgov.extensions import db
from gridgov.hierarchy import importer, topology
from tests import factories as f

C11 = "440303001001"
C11_WEST, C11_EAST = f.COMMUNITIES[C11]


def import_cells(*cells):
    return importer.import_grids(f.collection(*cells), "wgs84", f.TOLERANCE)


def faults(prefix="440303", tolerance=f.TOLERANCE):
    return topology.check(prefix, tolerance)


def test_the_synthetic_district_has_no_faults():
    f.make_district()
    assert faults() == []


def test_a_gap_is_reported_with_its_area_and_a_point_inside_it():
    f.make_district(grids=False)
    # the north cell stops 0.001° (about 111 m) short of the middle line
    result = import_cells(
        f.feature(f.box(C11_WEST, f.MID + 0.001, C11_EAST, f.NORTH), code=C11 + "001", name="北"),
        f.feature(f.box(C11_WEST, f.SOUTH, C11_EAST, f.MID), code=C11 + "002", name="南"),
    )
    [gap] = result.warnings
    assert gap["kind"] == "gap" and gap["community"] == C11
    assert gap["area_m2"] == pytest.approx(1028 * 111, rel=0.02)
    lon, lat = gap["point"]
    assert C11_WEST < lon < C11_EAST and f.MID < lat < f.MID + 0.001


def test_a_community_without_cells_is_one_big_gap():
    f.make_district(grids=False)
    gaps = [x for x in faults(C11) if x["kind"] == "gap"]
    assert len(gaps) == 1 and gaps[0]["area_m2"] == pytest.approx(1028 * 2214, rel=0.02)


def test_gaps_below_the_tolerance_are_ignored():
    f.make_district(grids=False)
    import_cells(
        f.feature(
            f.box(C11_WEST, f.MID + 0.0000001, C11_EAST, f.NORTH), code=C11 + "001", name="北"
        ),
        f.feature(f.box(C11_WEST, f.SOUTH, C11_EAST, f.MID), code=C11 + "002", name="南"),
    )
    assert [x["kind"] for x in faults(C11, tolerance=1.0)] == ["gap"]  # about 11 m²
    assert faults(C11, tolerance=20.0) == []


def test_overlapping_cells_are_rejected_on_import_naming_both():
    f.make_district(grids=False)
    with pytest.raises(ValidationFailed) as caught:
        import_cells(
            f.feature(
                f.box(C11_WEST, f.MID - 0.001, C11_EAST, f.NORTH), code=C11 + "001", name="北"
            ),
            f.feature(f.box(C11_WEST, f.SOUTH, C11_EAST, f.MID), code=C11 + "002", name="南"),
        )
    [error] = caught.value.errors
    assert error["field"] == f"{C11}001,{C11}002"
    assert "overlaps" in error["message"] and "m²" in error["message"]
    assert db.session.execute(text("SELECT count(*) FROM areas WHERE level = 'grid'")).scalar() == 0


def test_a_cell_reaching_into_the_next_community_is_rejected():
    f.make_district(grids=False)
    with pytest.raises(ValidationFailed) as caught:
        import_cells(
            f.feature(
                f.box(C11_WEST, f.MID, C11_EAST + 0.002, f.NORTH), code=C11 + "001", name="北"
            ),
            f.feature(f.box(C11_WEST, f.SOUTH, C11_EAST, f.MID), code=C11 + "002", name="南"),
        )
    [error] = caught.value.errors
    assert error["field"] == C11 + "001"
    assert "outside community 440303001001" in error["message"]
    assert "in 440303001002" in error["message"]


def test_every_fault_kind_is_found_on_demand():
    f.make_district()
    # Break stored cells directly, as a legacy database or a hand edit might.
    db.session.execute(
        text(
            "UPDATE areas SET geom = ST_Multi(ST_GeomFromText("
            "'POLYGON((114 22.51, 114.01 22.52, 114.01 22.51, 114 22.52, 114 22.51))', 4326))"
            " WHERE code = :code"
        ),
        {"code": C11 + "001"},
    )
    db.session.execute(
        text(
            "UPDATE areas SET geom = ST_Multi("
            "ST_MakeEnvelope(114.02, 22.50, 114.0305, 22.51, 4326))"
            " WHERE code = '440303002001002'"
        )
    )
    db.session.commit()
    found = faults()
    kinds = {x["kind"] for x in found}
    assert kinds == {"invalid_geometry", "outside_community", "overlap", "gap"}
    invalid = next(x for x in found if x["kind"] == "invalid_geometry")
    assert invalid["code"] == C11 + "001" and "Self-intersection" in invalid["reason"]
    overlap = next(x for x in found if x["kind"] == "overlap")
    assert overlap["codes"] == ["440303002001002", "440303002002002"]
    assert overlap["area_m2"] == pytest.approx(0.0005 * 102_800 * 0.01 * 110_800, rel=0.03)


def test_the_check_api_reports_faults_for_street_staff(client):
    f.make_district(grids=False)
    headers = f.auth_as(client, "street_staff", ["440303001000"])
    response = client.get("/api/v1/grids/check?area=440303001000", headers=headers)
    assert response.status_code == 200
    assert response.json["ok"] is False
    assert {x["community"] for x in response.json["faults"]} == {"440303001001", "440303001002"}


def test_the_check_api_tolerance_is_a_parameter(client):
    f.make_district()
    headers = f.auth_as(client, "district_staff", [f.DISTRICT])
    response = client.get("/api/v1/grids/check?area=440303000000&tolerance_m2=-1", headers=headers)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "tolerance_m2"
    ok = client.get("/api/v1/grids/check?area=440303000000&tolerance_m2=5", headers=headers)
    assert ok.json == {"area": "440303000000", "tolerance_m2": 5.0, "ok": True, "faults": []}


def test_grid_workers_cannot_run_the_check(client):
    f.make_district()
    headers = f.auth_as(client, "grid_worker", [C11 + "001"])
    assert client.get(f"/api/v1/grids/check?area={C11}", headers=headers).status_code == 403


def test_street_staff_cannot_check_the_neighbouring_street(client):
    f.make_district()
    headers = f.auth_as(client, "street_staff", ["440303001000"])
    response = client.get("/api/v1/grids/check?area=440303002000", headers=headers)
    assert response.status_code == 404


def test_the_check_command_exits_non_zero_on_faults(cli):
    f.make_district(grids=False)
    result = cli.invoke(args=["grids", "check", C11])
    assert result.exit_code == 1
    assert '"kind": "gap"' in result.output and "1 fault(s)" in result.output
