"""flask stats ...: check the live and kept counts against a recount, fold pending deltas, keep
month ends too far back for a request to keep."""

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import text

from gridgov.clock import district_today
from gridgov.extensions import db
from gridgov.stats import service, store

stats_cli = AppGroup("stats", help="Statistics: verify and fold the live counts.")


@stats_cli.command("verify")
@click.argument("area_code")
@click.option(
    "--as-of",
    "days",
    multiple=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="a past day to check too (repeat for more)",
)
@click.option("--kept", is_flag=True, help="check every kept month end too")
def verify(area_code, days, kept):
    """Prove the counts of an area and everything below it equal a full recount: today's, and
    those of the past days asked for."""
    db.session.execute(text("SET statement_timeout = 0"))  # a job: one recount per day, level
    days = tuple(d.date() for d in days)
    if kept:
        days += tuple(
            db.session.scalars(text("SELECT day FROM stat_snapshot_days WHERE ready ORDER BY day"))
        )
    differences = service.verify(area_code, _today(), days)
    for d in differences[:50]:
        on = "" if d["day"] == _today().isoformat() else f" on {d['day']}"
        click.echo(
            f"{d['area']} {d['measure']}:{d['key']} live {d['live']} recount {d['recount']}{on}"
        )
    if differences:
        click.echo(f"{len(differences)} difference(s)", err=True)
        sys.exit(1)
    checked = ", ".join(["today", *(d.isoformat() for d in days)])
    click.echo(f"{area_code}: counts equal the recount at every level ({checked})")


@stats_cli.command("fold")
def fold():
    """Fold the pending deltas into the totals now (statistics requests do it when due)."""
    click.echo(f"folded {store.fold(_today().replace(day=1))} pending rows")


@stats_cli.command("snapshot")
@click.option(
    "--months", type=click.IntRange(0, 120), default=24, show_default=True, help="past months"
)
def snapshot(months):
    """Keep the days of each past month that past days are counted from (its last day and the
    1st, 8th, 15th and 22nd), those of this month before today, and any day a request found
    too far back to keep (statistics then answer at once; writes keep them current from then
    on). The latest first, so that each is kept from the next."""
    store.keep_history(_today(), months, lambda day, s: click.echo(f"{day}: {s:.1f} s"))


_today = district_today
