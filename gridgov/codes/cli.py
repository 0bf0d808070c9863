"""flask codes load [FILE]: bring the code tables to a CSV (table,code,label)."""

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from gridgov.codes import service
from gridgov.config import GEODATA_DIR

codes_cli = AppGroup("codes", help="Code tables.")


@codes_cli.command("load")
@click.argument(
    "path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def load(path):
    """Load code tables (default: the bundled geodata/code_tables.csv)."""
    path = path or GEODATA_DIR / "code_tables.csv"
    click.echo(json.dumps(service.load(path.read_text(encoding="utf-8"))))
