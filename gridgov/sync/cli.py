"""flask sync ...: upkeep of what uploads leave behind."""

import click
from flask import current_app
from flask.cli import AppGroup

from gridgov.sync import retention

sync_cli = AppGroup("sync", help="Device sync: prune stored upload outcomes.")


@sync_cli.command("prune")
def prune():
    """Delete upload outcomes older than GRIDGOV_SYNC_KEEP_DAYS (uploads refuse records
    captured before that, so no retry needs them); a nightly job."""
    days = current_app.config["GRIDGOV_SYNC_KEEP_DAYS"]
    click.echo(f"{retention.prune(days)} upload outcomes older than {days} days deleted")
