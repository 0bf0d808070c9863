"""flask auth ...: token housekeeping."""

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from gridgov.auth import service

auth_cli = AppGroup("auth", help="Tokens.")


@auth_cli.command("prune")
def prune():
    """Forget revocations and refresh tokens that have expired anyway, and the failed-login
    counts of addresses whose window has ended."""
    click.echo(f"pruned {service.prune_revocations()} expired revocation(s)")
    window = timedelta(seconds=current_app.config["GRIDGOV_LOGIN_ADDRESS_WINDOW_SECONDS"])
    click.echo(f"pruned {service.prune_address_failures(window)} ended address window(s)")
