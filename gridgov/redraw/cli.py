"""flask grids propose / approve: the redraw from the command line (the same services as the API).

The commands join the `grids` group of the hierarchy, so they read `flask grids propose ...`."""

import json
import sys
from datetime import date
from pathlib import Path

import click

from gridgov.errors import GridgovError
from gridgov.geo import CRS_NAMES
from gridgov.hierarchy.cli import grids_cli
from gridgov.redraw import approve as approval
from gridgov.redraw import service


def _run(call) -> None:
    try:
        result = call()
    except GridgovError as e:
        click.echo(f"error: {e.detail}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result, ensure_ascii=False, default=str))


@grids_cli.command("propose")
@click.argument("community")
@click.option("--roads", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--crs", type=click.Choice(CRS_NAMES), help="of the road file (default: its crs)")
@click.option("--min", "low", type=int, default=service.DEFAULT_MIN, show_default=True)
@click.option("--max", "high", type=int, default=service.DEFAULT_MAX, show_default=True)
@click.option("--cell", "cells", multiple=True, help="redraw only this cell (repeatable)")
@click.option("--geometry/--no-geometry", default=False, help="print the cells' outlines")
def propose(community, roads, crs, low, high, cells, geometry):
    """Propose grid cells for a community; prints the preview (a draft, nothing changes)."""
    layer = json.loads(roads.read_text(encoding="utf-8")) if roads else None
    crs = crs or (layer.get("crs") if isinstance(layer, dict) else None) or "wgs84"

    def call():
        bounds = service.Bounds(low, high)
        result = service.propose(None, community, bounds, layer, crs, list(cells) or None)
        if not geometry:
            for feature in result["cells"]["features"]:
                feature["geometry"] = None
        return result

    _run(call)


@grids_cli.command("approve")
@click.argument("proposal_id", type=int)
@click.option("--date", "effective", type=click.DateTime(["%Y-%m-%d"]), help="default: today")
def approve(proposal_id, effective):
    """Put a proposal in force from a date (default today)."""
    from gridgov.redraw.routes import approval_settings

    day: date | None = effective.date() if effective else None
    _run(lambda: approval.approve(None, proposal_id, day, approval_settings()))
