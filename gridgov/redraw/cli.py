"""flask grids propose / approve: the redraw from the command line (the same services as the API).

The commands join the `grids` group of the hierarchy, so they read `flask grids propose ...`."""

import json
import sys
from datetime import date
from pathlib import Path

import click

from gridgov.errors import GridgovError
from gridgov.geo import CRS_NAMES
from gridgov.geofiles import decode
from gridgov.hierarchy.cli import grids_cli
from gridgov.redraw import approve as approval
from gridgov.redraw import edits, service, views


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
    layer = json.loads(decode(roads.read_bytes(), None, roads.name)) if roads else None
    named = layer.get("crs") if isinstance(layer, dict) else None
    if roads and not (crs or isinstance(named, str)):
        # the same rule as every import: a file that does not say its system must be told
        click.echo("error: the road file does not say its coordinate system; give --crs", err=True)
        sys.exit(1)
    crs = crs or named or "wgs84"

    def call():
        bounds = service.Bounds(low, high)
        result = service.propose(None, community, bounds, layer, crs, list(cells) or None)
        return _preview(result, geometry)

    _run(call)


def _preview(result: dict, geometry: bool) -> dict:
    if not geometry:
        for feature in result["cells"]["features"]:
            feature["geometry"] = None
    return result


@grids_cli.command("proposal")
@click.argument("proposal_id", type=int)
@click.option("--geometry/--no-geometry", default=False, help="print the cells' outlines")
def show(proposal_id, geometry):
    """Print a proposal's preview: cells, their households and neighbours, blocks, moves."""
    _run(lambda: _preview(views.get_proposal(None, proposal_id), geometry))


@grids_cli.group("edit")
def edit():
    """Edit a draft proposal (each edit is checked again and audited)."""


def _edit(proposal_id: int, data: dict) -> None:
    _run(lambda: _preview(edits.edit(None, proposal_id, data), False))


@edit.command("move-blocks")
@click.argument("proposal_id", type=int)
@click.option("--block", "blocks", type=int, multiple=True, required=True, help="repeatable")
@click.option("--to", "target", type=int, required=True, help="the cell that takes them")
def move_blocks(proposal_id, blocks, target):
    """Move blocks into another cell of the proposal."""
    _edit(proposal_id, {"op": "move_blocks", "blocks": list(blocks), "to": target})


@edit.command("merge")
@click.argument("proposal_id", type=int)
@click.argument("first", type=int)
@click.argument("second", type=int)
def merge(proposal_id, first, second):
    """Merge two neighbouring cells."""
    _edit(proposal_id, {"op": "merge", "cells": [first, second]})


@edit.command("split")
@click.argument("proposal_id", type=int)
@click.argument("cell", type=int)
def split(proposal_id, cell):
    """Split a cell in two (a cell in pieces: into its pieces)."""
    _edit(proposal_id, {"op": "split", "cell": cell})


@grids_cli.command("approve")
@click.argument("proposal_id", type=int)
@click.option("--date", "effective", type=click.DateTime(["%Y-%m-%d"]), help="default: today")
def approve(proposal_id, effective):
    """Put a proposal in force from a date (default today)."""
    from gridgov.redraw.routes import approval_settings

    day: date | None = effective.date() if effective else None
    _run(lambda: approval.approve(None, proposal_id, day, approval_settings()))
