"""Tests run against a real PostGIS database (make test provisions a throwaway one).

The schema comes from the Alembic migrations once per session; after each test every table is
truncated, so tests see committed data exactly as the app does and never depend on each other.
"""

import gc

import flask_migrate
import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from gridgov import create_app
from gridgov.codes import service as codes
from gridgov.config import GEODATA_DIR
from gridgov.declarations import rules
from gridgov.extensions import db
from tests import factories as f

# Everything but the code tables, which are loaded once.
TABLES = (
    "areas, users, user_areas, refresh_tokens, revocations, login_address_failures, "
    "login_name_failures, transfer_requests, "
    "audit_events, houses, rentals, "
    "buildings, persons, residences, sync_records, sync_prune_cutoff, conflicts, changes, "
    "stat_pending, stat_totals, stat_births, stat_bands, stat_area_counts, stat_snapshot_days, "
    "stat_snapshots, house_grids, visit_tasks, visit_results, export_jobs, "
    "grid_proposals, grid_proposal_blocks, grid_proposal_houses, grid_lineage, "
    "declarations, declaration_events"
)


@pytest.fixture(scope="session")
def app():
    app = create_app({"TESTING": True, "GRIDGOV_LOGIN_MAX_FAILURES": 3})
    with app.app_context():
        flask_migrate.upgrade()
        codes.load((GEODATA_DIR / "code_tables.csv").read_text(encoding="utf-8"))
    yield app
    app.extensions["principal_cache"].stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()
        empty()
    # Whatever a test left unclosed in a reference cycle is collected now, so its
    # ResourceWarning (an error: filterwarnings) names this test, not a random later one.
    gc.collect()


def empty() -> None:
    """Every table as the migrations left it: the data truncated, the triage rules seeded by
    the migration kept and the versions stored since removed (and forgotten by this process)."""
    db.session.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    db.session.execute(text("DELETE FROM triage_rules WHERE version > 1"))
    db.session.execute(text("DELETE FROM triage_rule_sets WHERE version > 1"))
    db.session.commit()
    rules.forget()
    db.session.remove()


def pytest_collection_modifyitems(items):
    """The browser tests in one stretch, wherever pytest-randomly put their modules: they share
    a package's data, gunicorn and Chromium, which are made again each time the run comes back
    to the package. (A stable sort: the shuffled order stays within and around them.)"""
    items.sort(key=lambda item: item.nodeid.startswith("tests/console/"))


class Client(FlaskClient):
    """Each request gets a fresh database session, as it does under gunicorn. (The test's own
    app context is reused by the test client, and with it the session, unless we reset it.)
    Responses are read whole and closed, as a WSGI server does, so a download's temporary file
    is closed in the test that asked for it, not later by the garbage collector."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        db.session.remove()
        try:
            return super().open(*args, **kwargs)
        finally:
            db.session.remove()


@pytest.fixture
def client(app):
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


@pytest.fixture
def worker(client):
    """A grid worker bound to one cell of the synthetic district."""
    f.make_district()
    return f.auth_as(client, "grid_worker", [f.OWN_CELL], username="wang")


@pytest.fixture
def house(client, worker):
    [result] = f.upload(client, worker, f.envelope("house", f.house_data()))
    assert result["outcome"] == "created"
    return result["key"]
