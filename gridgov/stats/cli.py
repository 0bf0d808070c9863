"""flask stats ...: check the live counts against a recount, fold pending deltas, count past
days ahead of the first request for them."""

import sys
import time
from datetime import timedelta

import click
from flask.cli import AppGroup

from gridgov.clock import district_today
from gridgov.stats import service, store

stats_cli = AppGroup("stats", help="Statistics: verify and fold the live counts.")


@stats_cli.command("verify")
@click.argument("area_code")
def verify(area_code):
    """Prove the live counts of an area and everything below it equal a full recount."""
    differences = service.verify(area_code, _today())
    for d in differences[:50]:
        click.echo(f"{d['area']} {d['measure']}:{d['key']} live {d['live']} recount {d['recount']}")
    if differences:
        click.echo(f"{len(differences)} difference(s)", err=True)
        sys.exit(1)
    click.echo(f"{area_code}: live counts equal the recount at every level")


@stats_cli.command("fold")
def fold():
    """Fold the pending deltas into the totals now (statistics requests do it when due)."""
    click.echo(f"folded {store.fold(_today().replace(day=1))} pending rows")


@stats_cli.command("snapshot")
@click.option("--months", type=click.IntRange(1, 120), default=24, show_default=True)
def snapshot(months):
    """Count the last day of each past month (series and as_of then answer at once); a nightly
    job keeps them warm after changes dated in the past."""
    day = _today().replace(day=1) - timedelta(days=1)
    for _ in range(months):
        started = time.perf_counter()
        store.snapshot(day)
        click.echo(f"{day}: {time.perf_counter() - started:.1f} s")
        day = day.replace(day=1) - timedelta(days=1)


_today = district_today
