"""flask keys ...: see which data keys stored values use, and move them to the newest."""

import sys

import click
from cryptography.exceptions import InvalidTag
from flask import current_app
from flask.cli import AppGroup

from gridgov.crypto import KeyError_
from gridgov.keys import service

keys_cli = AppGroup("keys", help="Data keys: which versions seal stored values; re-encrypt.")


@keys_cli.command("status")
def status():
    """Stored values by the key version that sealed them (a version with none can go)."""
    current = current_app.extensions["vault"].current
    for column, counts in service.versions().items():
        shown = ", ".join(f"v{v}: {n}" for v, n in counts.items()) or "none stored"
        click.echo(f"{column}: {shown}")
    click.echo(f"new values are sealed with key version {current}")


@keys_cli.command("reseal")
@click.option("--chunk", type=click.IntRange(1, 50_000), default=2000, show_default=True)
def reseal(chunk):
    """Re-encrypt stored values under the newest key, so older keys can be removed."""
    vault = current_app.extensions["vault"]
    try:
        done = service.reseal(vault, chunk, progress=click.echo)
    except KeyError_ as e:
        click.echo(f"stopped: {e}; add that key back to GRIDGOV_DATA_KEYS and run again", err=True)
        sys.exit(1)
    except InvalidTag:
        click.echo(
            "stopped: a stored value does not open with the key of its version (a different "
            "key under the same version number?); the work so far is kept",
            err=True,
        )
        sys.exit(1)
    click.echo(f"{sum(done.values())} values re-encrypted under key version {vault.current}")
