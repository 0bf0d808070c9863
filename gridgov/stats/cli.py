"""flask stats ...: check the live counts against a recount, fold pending deltas."""

import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup

from gridgov.stats import service

stats_cli = AppGroup("stats", help="Statistics: verify and fold the live counts.")


@stats_cli.command("verify")
@click.argument("area_code")
def verify(area_code):
    """Prove the live counts of an area and everything below it equal a full recount."""
    today = datetime.now(ZoneInfo(current_app.config["GRIDGOV_TIMEZONE"])).date()
    differences = service.verify(area_code, today)
    for d in differences[:50]:
        click.echo(f"{d['area']} {d['measure']}:{d['key']} live {d['live']} recount {d['recount']}")
    if differences:
        click.echo(f"{len(differences)} difference(s)", err=True)
        sys.exit(1)
    click.echo(f"{area_code}: live counts equal the recount at every level")


@stats_cli.command("fold")
def fold():
    """Fold the pending deltas into the totals now (statistics requests do it when due)."""
    click.echo(f"folded {service.fold()} pending rows")
