"""flask declarations purge"""

import click
from flask.cli import AppGroup

from gridgov.declarations import purge as purging

declarations_cli = AppGroup("declarations", help="Residents' declarations.")


@declarations_cli.command("purge")
def purge():
    """Erase the personal fields of closed declarations past GRIDGOV_DECLARATION_KEEP_DAYS."""
    click.echo(f"purged {purging.purge()} declarations")
