"""Onboarding a real district from its files (issue 12): Beijing 东城区 (110101) from its NBS code
list and GCJ-02 outline, its streets and communities from a Shapefile and its cells from a
GeoPackage (synthetic outlines, written in the test), checked, and given a population of its own
with flask demo generate --district; beside another district in the same database."""

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import mapping, shape
from sqlalchemy import func, select, text

from gridgov.demo import partition
from gridgov.extensions import db
from gridgov.geo import geometry_to_wgs84
from gridgov.hierarchy.models import Area
from gridgov.people.models import Person
from tests import factories as f
from tests.hierarchy import files

GEODATA = Path(__file__).resolve().parents[2] / "geodata"
CODES = GEODATA / "dongcheng_110101_codes_nbs2023.csv"
OUTLINE = GEODATA / "dongcheng_110101_district_gcj02.geojson"
DONGCHENG = "110101000000"


def ok(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def synthetic_outlines(rng) -> tuple[list[dict], list[dict]]:
    """Streets, communities and two cells per community cut from the real outline, as a land
    office's files would hold them (in WGS84, so the cuts nest exactly)."""
    rows = list(csv.DictReader(io.StringIO(CODES.read_text(encoding="utf-8"))))
    gcj = shape(json.loads(OUTLINE.read_text(encoding="utf-8"))["features"][0]["geometry"])
    district = geometry_to_wgs84(gcj, "gcj02")  # what import-boundaries stores
    streets = [r for r in rows if r["level"] == "street"]
    areas, cells = [], []
    for street, geom in zip(streets, partition.split(district, len(streets), rng), strict=True):
        areas.append(f.feature(mapping(geom), code=street["code"]))
        communities = [r for r in rows if r["parent_code"] == street["code"]]
        parts = partition.split(geom, len(communities), rng)
        for community, part in zip(communities, parts, strict=True):
            areas.append(f.feature(mapping(part), code=community["code"]))
            for seq, cell in enumerate(partition.split(part, 2, rng), start=1):
                name = community["name"].removesuffix("社区居委会") + f"第{seq}网格"
                cells.append(
                    f.feature(mapping(cell), code=f"{community['code']}{seq:03d}", name=name)
                )
    return areas, cells


@pytest.fixture
def onboarded(cli, tmp_path):
    """The README's sequence ("Onboarding your district"), on a database with another district."""
    f.make_district()  # 440303: another district already in the database
    areas, cells = synthetic_outlines(np.random.default_rng(110101))
    shp = files.write_vector(tmp_path / "areas.shp", areas, "wgs84")
    gpkg = files.write_vector(tmp_path / "cells.gpkg", cells, "EPSG:4490")
    ok(cli.invoke(args=["areas", "import-codes", str(CODES), "--valid-from", "2020-01-01"]))
    ok(cli.invoke(args=["areas", "import-boundaries", str(OUTLINE), "--crs", "gcj02"]))
    ok(cli.invoke(args=["areas", "import-boundaries", str(shp)]))
    ok(cli.invoke(args=["grids", "import", str(gpkg)]))
    return len(cells)


def test_a_district_onboarded_from_its_own_files_checks_clean_and_gets_its_own_people(
    cli, onboarded
):
    cells = db.session.scalar(
        select(func.count()).where(Area.level == "grid", Area.code.like("110101%"))
    )
    assert cells == onboarded == 338
    check = cli.invoke(args=["grids", "check", DONGCHENG])
    assert check.exit_code == 0, check.output
    district = db.session.scalar(select(Area).where(Area.code == DONGCHENG))
    assert (district.upper_code, district.valid_from.isoformat()) == ("110100000000", "2020-01-01")

    # flask demo generate --district: the district's own region codes and place names
    refused = cli.invoke(args=["demo", "generate", "--persons", "30"])
    assert refused.exit_code != 0 and "--district" in refused.output
    result = ok(cli.invoke(args=["demo", "generate", "--persons", "600", "--district", "110101"]))
    assert result["district"] == DONGCHENG
    cells = db.session.scalars(select(Person.grid_code)).all()
    assert len(cells) == 600 and all(c.startswith("110101") for c in cells)
    regions = db.session.scalars(select(func.left(Person.id_masked, 6))).all()
    local = sum(r == "110101" for r in regions)
    beijing = sum(r.startswith("11") for r in regions)
    assert local > 100 and beijing > local
    # Shenzhen is just another place people come from (in Luohu's population it is most of them)
    assert sum(r.startswith("4403") for r in regions) < len(regions) * 0.05
    addresses = db.session.scalars(
        text("SELECT landlord_address FROM rentals WHERE landlord_address IS NOT NULL")
    ).all()
    assert addresses and all(a.startswith("北京市东城区") for a in addresses)
    compounds = set(db.session.scalars(text("SELECT DISTINCT compound FROM buildings")))
    places = {
        a.name.removesuffix("街道").removesuffix("社区居委会")
        for a in db.session.scalars(select(Area).where(Area.code.like("110101%")))
    }
    assert all(any(c.startswith(p) for p in places) for c in compounds)
