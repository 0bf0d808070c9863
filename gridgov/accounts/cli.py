"""flask users ...: manage accounts from the command line."""

import sys

import click
from flask.cli import AppGroup

from gridgov.accounts import service
from gridgov.accounts.models import ROLES
from gridgov.errors import GridgovError

users_cli = AppGroup("users", help="Accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--area", "areas", multiple=True, help="area or grid code (repeat for several)")
@click.option("--name", "display_name", default="")
@click.password_option(help="prompted for when not given")
def create(username, role, areas, display_name, password):
    """Create an account bound to areas at its role's level."""
    try:
        user = service.create_user(None, username, password, role, list(areas), display_name)
    except GridgovError as e:
        click.echo(f"error: {e.detail}", err=True)
        sys.exit(1)
    click.echo(
        f"created {user.username} ({user.role}) id={user.id} areas={','.join(user.area_codes)}"
    )
