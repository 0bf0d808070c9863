"""Workers remember who a token belongs to, and forget at once when another process changes it."""

import uuid

import psycopg
import pytest
from flask_jwt_extended import decode_token
from sqlalchemy.engine import make_url

from gridgov import create_app
from gridgov.extensions import db
from tests import factories as f
from tests.conftest import Client


def dsn() -> str:
    url = make_url(db.engine.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def revoke_behind_its_back(family: str) -> None:
    """A revocation row committed by another process that has not (yet) announced it."""
    with psycopg.connect(dsn()) as conn:
        conn.execute(
            "INSERT INTO revocations (key, kind, reason, expires_at) "
            "VALUES (%s, 'family', 'logout', now() + interval '1 day')",
            (family,),
        )


def announce(cache) -> None:
    """What every process that changes accounts does after its commit (a NOTIFY), then wait
    until this process's listener has heard it: no sleeping, no window of wall-clock time."""
    marker = str(uuid.uuid4())
    with psycopg.connect(dsn(), autocommit=True) as conn:
        conn.execute("SELECT pg_notify('gridgov_auth', %s)", (marker,))
    assert cache.wait_heard(marker, 10), "the listener never heard the NOTIFY"


@pytest.fixture
def wang(client):
    f.make_district()
    f.make_user("wang", "grid_worker", [f.OWN_CELL])
    tokens = f.login(client, "wang")
    return f.bearer(tokens["access_token"]), decode_token(tokens["access_token"])["fam"]


def test_a_principal_is_cached_until_another_process_announces_a_revocation(app, client, wang):
    headers, family = wang
    cache = app.extensions["principal_cache"]
    assert cache.wait_listening(10)
    announce(cache)  # every change the setup announced has been heard: nothing more is on its way
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200  # loaded and kept
    revoke_behind_its_back(family)
    # Still served from the cache: a cache that did not cache would look and refuse here.
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    announce(cache)
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401 and response.json["code"] == "token_revoked"


def test_a_cache_of_zero_seconds_looks_every_principal_up(app, wang):
    headers, family = wang
    uncached = create_app({"TESTING": True, "GRIDGOV_PRINCIPAL_CACHE_SECONDS": 0})
    uncached.test_client_class = Client
    try:
        with uncached.app_context():
            other = uncached.test_client()
            # Even with its listener connected (as it is in a worker that caches), it keeps nothing.
            assert uncached.extensions["principal_cache"].wait_listening(10)
            assert other.get("/api/v1/auth/me", headers=headers).status_code == 200
            revoke_behind_its_back(family)
            # No NOTIFY was sent, and none is needed: nothing was kept.
            response = other.get("/api/v1/auth/me", headers=headers)
            assert response.status_code == 401 and response.json["code"] == "token_revoked"
    finally:
        uncached.extensions["principal_cache"].stop()
        with uncached.app_context():
            db.engine.dispose()
