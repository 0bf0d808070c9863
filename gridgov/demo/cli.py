"""flask demo ...: the bundled demo district and its accounts."""

import json
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from gridgov.clock import district_today
from gridgov.demo import population, service
from gridgov.errors import GridgovError
from gridgov.extensions import db
from gridgov.people.models import Person
from gridgov.stats import store

demo_cli = AppGroup("demo", help="The demo district (罗湖区) and demo accounts.")


@demo_cli.command("partition")
@click.option("--seed", default=440303, show_default=True)
def partition(seed):
    """Regenerate the synthetic street/community/grid outlines in geodata/."""
    streets, communities, grids = service.generate(seed)
    click.echo(f"wrote {streets} streets, {communities} communities, {grids} grid cells")


@demo_cli.command("load")
def load():
    """Load the demo district (idempotent)."""
    result = service.load(current_app.config["GRIDGOV_TOPOLOGY_TOLERANCE_M2"])
    click.echo(json.dumps(result, ensure_ascii=False))


@demo_cli.command("generate")
@click.option("--persons", type=click.IntRange(1, 10_000_000), required=True)
@click.option("--seed", type=int, help="for a repeatable plan (default: a fresh one, printed)")
@click.option("--if-empty", is_flag=True, help="only when nobody is registered yet (make run)")
@click.option(
    "--district", help="the district's code (12 or 6 digits); needed when several are loaded"
)
@click.option(
    "--history-months",
    type=click.IntRange(0, 120),
    default=24,
    show_default=True,
    help="past months whose statistics are kept at once (as `flask stats snapshot` would)",
)
def generate(persons, seed, if_empty, district, history_months):
    """Add a synthetic population to one district: persons/3 houses, residents and floating
    people, rentals and dated residences, in its grid cells, with its own region codes and place
    names. Running it again adds more. The population comes with its history (who moved in or
    out when), written in bulk past the statistics' write-time keeping of past days; so the
    days that past statistics are counted from are kept here, for `--history-months`, and
    statistics as of any of those days answer at once."""
    if if_empty and db.session.scalar(select(Person.id).limit(1)) is not None:
        click.echo("the demo district has people already; nothing generated")
        return
    try:
        result = population.generate(
            db.session, current_app.extensions["vault"], persons, seed, click.echo, district
        )
    except GridgovError as e:
        raise click.ClickException(e.detail) from None
    started = time.perf_counter()
    kept = store.keep_history(district_today(), history_months)
    seconds = round(time.perf_counter() - started, 1)
    result |= {"history_days_kept": kept, "history_seconds": seconds}
    click.echo(json.dumps(result, ensure_ascii=False))


@demo_cli.command("accounts")
@click.option(
    "--save",
    type=click.Path(dir_okay=False, path_type=Path),
    help="also append new credentials to this file (mode 600)",
)
def accounts(save):
    """Create the demo accounts that are missing and print their passwords once."""
    created = service.create_accounts()
    if not created:
        click.echo("demo accounts exist already" + (f"; credentials in {save}" if save else ""))
        return
    lines = [f"{username:15} {role:15} {password}" for username, role, password in created]
    click.echo("demo accounts (shown once):\n  " + "\n  ".join(lines))
    if save:
        _save(save, {username: line for (username, _, _), line in zip(created, lines, strict=True)})


def _save(path: Path, new: dict[str, str]) -> None:
    """Keep one line per demo account; a recreated database replaces stale passwords."""
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    keep = [line for line in old if line.split(" ", 1)[0] not in new]
    path.write_text("\n".join(keep + list(new.values())) + "\n", encoding="utf-8")
    path.chmod(0o600)
