"""flask sync ...: upkeep of what uploads leave behind."""

import click
from flask import current_app
from flask.cli import AppGroup

from gridgov.houses import numbers
from gridgov.sync import retention

sync_cli = AppGroup("sync", help="Device sync: prune stored upload outcomes.")


@sync_cli.command("prune")
def prune():
    """Delete upload outcomes older than GRIDGOV_SYNC_KEEP_DAYS (uploads refuse records
    captured before that, so no retry needs them); a nightly job."""
    days = current_app.config["GRIDGOV_SYNC_KEEP_DAYS"]
    click.echo(f"{retention.prune(days)} upload outcomes older than {days} days deleted")


@sync_cli.command("expire-reservations")
@click.option(
    "--days", type=click.IntRange(1), default=None, help="default: GRIDGOV_RESERVATION_DAYS"
)
def expire_reservations(days):
    """Release building numbers reserved longer ago than that and never used; nightly."""
    days = days or current_app.config["GRIDGOV_RESERVATION_DAYS"]
    click.echo(f"{numbers.expire(days)} reservation(s) older than {days} days released")
