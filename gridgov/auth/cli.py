"""flask auth ...: token housekeeping."""

import click
from flask.cli import AppGroup

from gridgov.auth import service

auth_cli = AppGroup("auth", help="Tokens.")


@auth_cli.command("prune")
def prune():
    """Forget revocations and refresh tokens that have expired anyway."""
    click.echo(f"pruned {service.prune_revocations()} expired revocation(s)")
