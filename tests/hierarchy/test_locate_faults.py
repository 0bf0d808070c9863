"""Locate reads on a connection of its own, outside the session (gridgov.reads): on a real
gunicorn, a statement held past the timeout and a connection the database dropped are still
503 problems, and the worker reads again once the database is back."""

from sqlalchemy import text

from gridgov.extensions import db
from tests import factories as f
from tests.live import Proxy, Server, proxied_url

POINT = "/api/v1/locate?lon=114.035&lat=22.505"


def token_of(client) -> str:
    f.make_district()
    f.make_user("locator", "district_staff", [f.DISTRICT])
    return f.login(client, "locator")["access_token"]


def database_url() -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_a_locate_held_past_the_statement_timeout_is_a_503_and_the_next_one_answers(client):
    token = token_of(client)
    db.session.commit()
    server = Server(database_url(), env={"GRIDGOV_STATEMENT_TIMEOUT_MS": "300"})
    blocker = db.engine.connect()
    try:
        status, found = server.request("GET", POINT, token=token)
        assert status == 200 and found["grid"]["code"] == "440303002002002"
        blocker.execute(text("LOCK TABLE areas IN ACCESS EXCLUSIVE MODE"))
        status, problem = server.request("GET", POINT, token=token)
        assert status == 503 and problem["code"] == "query_timeout"
        blocker.rollback()
        status, found = server.request("GET", POINT, token=token)
        assert status == 200 and found["grid"]["code"] == "440303002002002"
    finally:
        blocker.close()
        server.close()


def test_a_locate_whose_connection_the_database_dropped_is_a_503_then_reconnects(client):
    token = token_of(client)
    db.session.commit()
    proxy = Proxy(db.engine.url.host, db.engine.url.port)
    proxy.start()
    server = Server(proxied_url(database_url(), proxy))
    try:
        status, _ = server.request("GET", POINT, token=token)
        assert status == 200
        proxy.stop()  # the worker's held connection dies with every other
        status, problem = server.request("GET", POINT, token=token)
        assert status == 503 and problem["code"] == "database_unavailable"
        proxy.start()
        # A pooled connection that died with the outage may still be handed out once (a 503
        # that closes it); the next tries connect afresh: a bounded number, no waiting.
        for _ in range(4):
            status, found = server.request("GET", POINT, token=token)
            if status == 200:
                break
            assert status == 503
        assert status == 200 and found["district"]["code"] == f.DISTRICT
    finally:
        server.close()
        proxy.stop()
