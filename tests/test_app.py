"""App-wide behaviour: health, docs, the error shape, a database that is down, and the workers."""

import os
import subprocess
import time
import urllib.request

import pytest

from gridgov import create_app
from tests import factories as f
from tests import live


def test_healthz_reports_postgis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["postgis"].startswith("3.")


def test_openapi_lists_the_contract(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in (
        "/api/v1/auth/login",
        "/api/v1/areas/{code}",
        "/api/v1/grids",
        "/api/v1/locate",
        "/api/v1/tiles/grids/{z}/{x}/{y}.mvt",
        "/healthz",
    ):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_interactive_docs_are_served_from_local_files(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"/api/v1/docs/assets/swagger-ui-bundle.js" in page.data
    script = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.data) > 100_000
    script.close()


def test_an_unknown_path_is_a_404_problem(client):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert set(response.json) >= {"type", "title", "status", "code", "detail"}


def test_a_wrong_method_is_a_405_problem_with_allow(client):
    response = client.delete("/api/v1/auth/login")
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"
    assert "POST" in response.headers["Allow"]


def test_malformed_json_is_a_400_problem(client):
    response = client.post("/api/v1/auth/login", data="{oops", content_type="application/json")
    assert response.status_code == 400 and response.json["code"] == "malformed_json"


@pytest.fixture
def down_client(app):
    """The same app pointed at a port where no database listens: a real refused connection."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://gridgov@127.0.0.1:9/gridgov",
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True,
            "connect_args": {"connect_timeout": 2},
        },
    }
    app = create_app(config)
    yield app.test_client()
    app.extensions["principal_cache"].stop()


def test_healthz_is_503_when_the_database_is_down(down_client):
    response = down_client.get("/healthz")
    assert response.status_code == 503
    assert response.json["code"] == "database_unavailable"


def test_api_calls_are_503_not_500_when_the_database_is_down(client, down_client):
    f.make_district()
    token = f.auth_as(client, "district_staff", [f.DISTRICT])
    response = down_client.get("/api/v1/locate?lon=114.005&lat=22.515", headers=token)
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.headers["Retry-After"] == "5"


def test_answers_are_written_as_flasks_own_json_provider_writes_them(app):
    import dataclasses
    import datetime
    import decimal
    import uuid

    import numpy as np
    import orjson
    from flask.json.provider import DefaultJSONProvider

    @dataclasses.dataclass
    class Pair:
        left: int
        right: str

    value = {
        "名字": "王宇宁",
        "b": [1, 2.5, np.float64(114.0873165), None, True],
        "a": {"z": 1, "y": {"x": "—"}},
        "day": datetime.date(2026, 12, 1),
        "at": datetime.datetime(2026, 12, 1, 8, 30, tzinfo=datetime.UTC),
        "amount": decimal.Decimal("12.30"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "pair": Pair(1, "一"),
    }
    flask = DefaultJSONProvider(app)
    flask.ensure_ascii = False
    expected = flask.dumps(value, separators=(",", ":"))
    assert app.json.body(value).decode() == expected + "\n"
    with app.test_request_context():
        assert app.json.response(value).get_data(as_text=True) == expected + "\n"
    app.json.compact = False  # as when debugging
    try:
        with app.test_request_context():
            indented = app.json.response({**value, "empty": {}}).get_data(as_text=True)
    finally:
        app.json.compact = None
    assert indented == flask.dumps({**value, "empty": {}}, indent=2) + "\n"
    # JSON text PostGIS wrote (a choropleth's outline) goes in as it is, indented or not
    outline = {"geometry": orjson.Fragment('{"type" : "Point"}')}
    assert app.json.body(outline) == b'{"geometry":{"type" : "Point"}}\n'
    assert app.json.body(outline, indent=True) == b'{\n  "geometry": {"type" : "Point"}\n}\n'
    assert '"day":"Tue, 01 Dec 2026 00:00:00 GMT"' in expected  # Flask's rule for dates
    # Keys that are not text are written as text, as the standard library does (sorted as text)
    assert app.json.body({9: "b", 10: "a"}) == b'{"10":"a","9":"b"}\n'


WHAT_GC_HOLDS = """
import gc


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(gc.get_freeze_count()).encode()]
"""


def test_a_gunicorn_worker_freezes_what_it_loaded_before_serving(tmp_path):
    # gunicorn.conf.py's post_worker_init: the collector's full passes skip the loaded app.
    (tmp_path / "what_gc_holds.py").write_text(WHAT_GC_HOLDS)
    port = live.free_port()
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    command = [str(live.ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen([*command, "what_gc_holds:app"], cwd=live.ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as answer:
                    frozen = int(answer.read())
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "not started"
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait()
    assert frozen > 1000
