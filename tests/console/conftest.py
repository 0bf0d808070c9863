"""Browser tests of the desk console: Debian's Chromium (driven by Playwright) against gunicorn
serving the built console and the API, on the demo district with a small generated population.

The data is made once for the package (a browser test reads what earlier steps left, as a clerk
would) and the tables are emptied after the last test, as after any other test."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from gridgov.demo import population
from gridgov.demo import service as demo
from gridgov.extensions import db
from gridgov.houses.models import House
from tests import factories as f
from tests.conftest import Client, empty
from tests.live import Server

CHROMIUM = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")
DIST = Path(__file__).resolve().parents[2] / "console" / "dist" / "index.html"
DISTRICT = "440303000000"
STREET = "440303001000"  # 桂园街道
OTHER_STREET = "440303002000"  # 黄贝街道
ACCOUNTS = {
    "district": ("district_staff", [DISTRICT]),
    "street": ("street_staff", [STREET]),
    "admin": ("admin", []),
}


@pytest.fixture(autouse=True)
def ctx(app):
    """Overrides the suite's per-test truncation: these tests share the package's data."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()


@pytest.fixture(scope="package")
def district(app):
    """The demo district, 1,500 generated people, one account per role, a person uploaded by
    district staff (whose ID number the tests know), and gunicorn serving it all."""
    assert DIST.is_file(), "the console is not built: make test builds it (scripts/console.sh)"
    with app.app_context():
        demo.load(1.0)
        population.generate(db.session, app.extensions["vault"], 1500, 13, lambda *_: None)
        house, cell = db.session.execute(
            select(House.code, House.grid_code)
            .where(House.grid_code.like(STREET[:9] + "%"))
            .order_by(House.code)
            .limit(1)
        ).one()
        for name, (role, areas) in {**ACCOUNTS, "worker": ("grid_worker", [cell])}.items():
            f.make_user(name, role, areas)
        app.test_client_class = Client
        client = app.test_client()
        staff = f.bearer(f.login(client, "district")["access_token"])
        person = f.person_data(7, house, phone="13912345678")
        [created] = f.upload(client, staff, f.envelope("person", person, position=None))
        assert created["outcome"] == "created", created
        server = Server(os.environ["DATABASE_URL"], workers=2)
    try:
        yield {
            "server": server,
            "person": person,
            "person_id": int(created["key"]),
            "house": house,
            "cell": cell,
            "staff": staff,
            "client": client,
        }
    finally:
        server.close()
        with app.app_context():
            empty()


@pytest.fixture(scope="package")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, district):
    context = browser.new_context(
        viewport={"width": 1400, "height": 860}, accept_downloads=True, locale="zh-CN"
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def console(district, path: str = "") -> str:
    return district["server"].url(f"/console/{path}")


def log_in(page, district, username: str, path: str = "") -> None:
    """Log in through the login page and wait for the frame (the header names the user)."""
    page.goto(console(district, path))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f.PASSWORD)
    page.click("[data-test=login-form] button[type=submit]")
    page.wait_for_selector(f"[data-test=who]:has-text('{username}')")


SHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"


def screenshot(page, name: str, **options) -> None:
    """With GRIDGOV_SCREENSHOTS=1, keep what the test sees as docs/console/<name>.png for the
    README (the screens of issue 15 need the test's declarations; the demo has none)."""
    if os.environ.get("GRIDGOV_SCREENSHOTS") == "1":
        page.screenshot(path=SHOTS / f"{name}.png", **options)
