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
from gridgov.geo import CRS_HELP
from gridgov.geofiles import decode, read_path
from gridgov.hierarchy import importer, topology
from gridgov.hierarchy.models import Area, prefix_of

areas_cli = AppGroup("areas", help="Area codes and boundaries.")
grids_cli = AppGroup("grids", help="Grid cells.")
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
CRS_OPTION = click.option(
    "--crs",
    help=f"the file's coordinate system when it does not say: {CRS_HELP}",
)
ENCODING_OPTION = click.option(
    "--encoding", help="the file's text encoding (default: UTF-8, else GBK), e.g. gbk"
)


def _report(run) -> None:
    """Run an import; print its result, or the reason it was refused on one line."""
    try:
        result = run()
    except GridgovError as e:
        click.echo(f"error: {e.detail}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False))


def _tolerance(given):
    return current_app.config["GRIDGOV_TOPOLOGY_TOLERANCE_M2"] if given is None else given


@areas_cli.command("import-codes")
@click.argument("path", type=FILE)
@ENCODING_OPTION
@click.option(
    "--valid-from",
    type=click.DateTime(["%Y-%m-%d"]),
    help="first day of the rows that give no valid_from (back-dates the areas)",
)
def import_codes(path, encoding, valid_from):
    """Import area codes from a CSV: code,name,parent_code,level[,urban_rural,valid_from,valid_to]
    or the NBS table (统计用区划代码,城乡分类代码,名称)."""
    day = valid_from.date() if valid_from else None
    _report(
        lambda: importer.import_codes(
            decode(path.read_bytes(), encoding, path.name), valid_from=day
        )
    )


@areas_cli.command("import-boundaries")
@click.argument("path", type=FILE)
@CRS_OPTION
@ENCODING_OPTION
@click.option("--tolerance", type=float, help="m² an outline may stick out of its parent")
def import_boundaries(path, crs, encoding, tolerance):
    """Import district/street/community outlines (properties.code) from GeoJSON, Shapefile,
    GeoPackage or KML; each must nest in its parent and around its children."""
    _report(
        lambda: importer.import_boundaries(
            read_path(path, encoding), crs, tolerance_m2=_tolerance(tolerance)
        )
    )


@grids_cli.command("import")
@click.argument("path", type=FILE)
@CRS_OPTION
@ENCODING_OPTION
def import_grids(path, crs, encoding):
    """Import grid cells from GeoJSON, Shapefile, GeoPackage or KML; rejected whole if the
    topology breaks."""
    _report(lambda: importer.import_grids(read_path(path, encoding), crs, _tolerance(None)))


@grids_cli.command("check")
@click.argument("area_code")
@click.option("--tolerance", type=float, help="m² below which a fault is ignored")
@click.option("--skip-ungridded", is_flag=True, help="no gaps for communities without cells")
def check(area_code, tolerance, skip_ungridded):
    """Check the grid cells below an area: validity, containment, overlaps and gaps, and the
    nesting of its outlines. Points are WGS84 (EPSG:4326) longitude, latitude."""
    area = db.session.scalar(select(Area).where(Area.code == area_code))
    if area is None:
        click.echo(f"error: unknown area {area_code}", err=True)
        sys.exit(2)
    tol = _tolerance(tolerance)
    faults = topology.check(prefix_of(area.code, area.level), tol, skip_ungridded=skip_ungridded)
    for fault in faults:
        click.echo(json.dumps(fault, ensure_ascii=False))
    click.echo(f"{len(faults)} fault(s) below {area_code} (tolerance {tol} m²)")
    sys.exit(1 if faults else 0)
