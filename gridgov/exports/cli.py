"""flask exports work: the export worker, run beside the web server (make run starts it)."""

import click
from flask import current_app
from flask.cli import AppGroup

from gridgov.exports import worker
from gridgov.exports.routes import BUILDERS

exports_cli = AppGroup("exports", help="Export jobs.")


@exports_cli.command("work")
@click.option("--poll", default=1.0, show_default=True, help="seconds between looks at the queue")
@click.option("--once", is_flag=True, help="stop when no job waits")
def work(poll, once):
    """Write queued export jobs' files, take up jobs of workers that died, delete expired
    files. Any number may run at once: each job is claimed by one."""
    settings = worker.Settings.of(current_app.config)
    click.echo(f"export worker: files in {settings.directory}", err=True)
    worker.work(settings, BUILDERS, poll, once)
