"""Workers remember who a token belongs to, and forget at once when another process changes it."""

import time

import psycopg
from flask_jwt_extended import decode_token
from sqlalchemy.engine import make_url

from gridgov.extensions import db
from tests import factories as f


def other_process_revokes(family: str) -> None:
    """What a logout in another gunicorn worker does: a revocation row and a NOTIFY, committed."""
    url = make_url(db.engine.url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO revocations (key, kind, reason, expires_at) "
            "VALUES (%s, 'family', 'logout', now() + interval '1 day')",
            (family,),
        )
        conn.execute("SELECT pg_notify('gridgov_auth', '')")


def test_a_revocation_in_another_process_takes_effect_within_moments(client):
    f.make_district()
    f.make_user("wang", "grid_worker", ["440303001001001"])
    tokens = f.login(client, "wang")
    headers = f.bearer(tokens["access_token"])
    for _ in range(3):  # now cached in this process
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    other_process_revokes(decode_token(tokens["access_token"])["fam"])
    deadline, status = time.monotonic() + 3, 200
    while status == 200 and time.monotonic() < deadline:
        status = client.get("/api/v1/auth/me", headers=headers).status_code
        time.sleep(0.01)
    assert status == 401  # well before the 10 s the cache would otherwise keep it
