"""flask areas ... / flask grids ...: import and check the hierarchy from the command line."""

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from gridgov.errors import GridgovError
from gridgov.extensions import db
from gridgov.geo import CRS_NAMES
from gridgov.hierarchy import importer, topology
from gridgov.hierarchy.models import Area, prefix_of

areas_cli = AppGroup("areas", help="Area codes and boundaries.")
grids_cli = AppGroup("grids", help="Grid cells.")
CRS = click.Choice(CRS_NAMES)


def _report(run) -> None:
    try:
        result = run()
    except GridgovError as e:
        click.echo(f"error: {e.detail}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False))


@areas_cli.command("import-codes")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_codes(path):
    """Import area codes from a CSV with columns code,name,parent_code,level."""
    _report(lambda: importer.import_codes(path.read_text(encoding="utf-8")))


@areas_cli.command("import-boundaries")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--crs", type=CRS, required=True, help="coordinate system of the file")
def import_boundaries(path, crs):
    """Import district/street/community outlines from GeoJSON (properties.code)."""
    _report(lambda: importer.import_boundaries(path.read_text(encoding="utf-8"), crs))


@grids_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--crs", type=CRS, default="wgs84", show_default=True)
def import_grids(path, crs):
    """Import grid cells from GeoJSON; rejected whole if the topology breaks."""
    tolerance = current_app.config["GRIDGOV_TOPOLOGY_TOLERANCE_M2"]
    _report(lambda: importer.import_grids(path.read_text(encoding="utf-8"), crs, tolerance))


@grids_cli.command("check")
@click.argument("area_code")
@click.option("--tolerance", type=float, help="m² below which a fault is ignored")
def check(area_code, tolerance):
    """Check the grid cells below an area: validity, containment, overlaps and gaps."""
    area = db.session.scalar(select(Area).where(Area.code == area_code))
    if area is None:
        click.echo(f"error: unknown area {area_code}", err=True)
        sys.exit(2)
    tol = current_app.config["GRIDGOV_TOPOLOGY_TOLERANCE_M2"] if tolerance is None else tolerance
    faults = topology.check(prefix_of(area.code, area.level), tol)
    for fault in faults:
        click.echo(json.dumps(fault, ensure_ascii=False))
    click.echo(f"{len(faults)} fault(s) below {area_code} (tolerance {tol} m²)")
    sys.exit(1 if faults else 0)
