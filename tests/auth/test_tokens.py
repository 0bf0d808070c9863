from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token, decode_token
from sqlalchemy import select, text

from gridgov import create_app
from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from tests import factories as f


@pytest.fixture
def worker():
    f.make_district()
    return f.make_user("wang", "grid_worker", ["440303001001001"])


def me(client, token):
    return client.get("/api/v1/auth/me", headers=f.bearer(token))


def refresh(client, token):
    return client.post("/api/v1/auth/refresh", headers=f.bearer(token))


def test_login_returns_tokens_that_identify_the_user(client, worker):
    tokens = f.login(client, "wang")
    assert tokens["token_type"] == "Bearer"
    response = me(client, tokens["access_token"])
    assert response.json == {
        "id": worker,
        "username": "wang",
        "role": "grid_worker",
        "areas": ["440303001001001"],
    }


def test_login_is_audited_with_the_device(client, worker):
    client.post(
        "/api/v1/auth/login",
        json={"username": "wang", "password": f.PASSWORD},
        headers={"X-Device-Id": "pda-17"},
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).one()
    assert (event.actor_id, event.device_id) == (worker, "pda-17")


@pytest.mark.parametrize("username", ["wang", "nobody"])
def test_a_wrong_password_or_unknown_user_gets_the_same_401(client, worker, username):
    response = client.post(
        "/api/v1/auth/login", json={"username": username, "password": "wrong-password-1"}
    )
    assert response.status_code == 401
    assert response.json["code"] == "invalid_credentials"


def test_login_body_fields_are_required(client):
    response = client.post("/api/v1/auth/login", json={"username": "wang"})
    assert response.status_code == 422
    assert response.json["errors"] == [
        {"field": "password", "in": "body", "message": "Missing data for required field."}
    ]


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, worker):
    for _ in range(3):  # the test config allows 3 failures
        client.post("/api/v1/auth/login", json={"username": "wang", "password": "wrong-password-1"})
    response = client.post("/api/v1/auth/login", json={"username": "wang", "password": f.PASSWORD})
    assert response.status_code == 429
    assert response.json["code"] == "account_locked"
    assert 250 < int(response.headers["Retry-After"]) <= 301


def test_each_failure_after_a_lock_ends_doubles_the_next_lock(client, worker):
    def fail():
        return client.post(
            "/api/v1/auth/login", json={"username": "wang", "password": "wrong-password-1"}
        )

    def wait_now() -> int:
        right = client.post("/api/v1/auth/login", json={"username": "wang", "password": f.PASSWORD})
        assert (right.status_code, right.json["code"]) == (429, "account_locked")
        return int(right.headers["Retry-After"])

    def lock_ends():  # as if its time had passed
        db.session.execute(text("UPDATE users SET locked_until = now() - interval '1 second'"))
        db.session.commit()

    for _ in range(3):
        fail()
    assert 290 < wait_now() <= 301  # the first lock: GRIDGOV_LOGIN_LOCK_SECONDS
    lock_ends()
    assert fail().status_code == 401
    assert 590 < wait_now() <= 601  # one more failure: twice as long
    lock_ends()
    fail()
    assert 1190 < wait_now() <= 1201  # and twice again
    failures = db.session.scalar(select(User.failed_logins).where(User.id == worker))
    assert failures == 5


def test_an_admin_unlock_lets_the_user_in_again(client, worker):
    for _ in range(3):
        client.post("/api/v1/auth/login", json={"username": "wang", "password": "wrong-password-1"})
    admin = f.auth_as(client, "admin", [])
    assert (
        client.patch(f"/api/v1/users/{worker}", json={"unlock": True}, headers=admin).status_code
        == 200
    )
    assert f.login(client, "wang")["access_token"]


def test_a_successful_login_resets_the_failure_count(client, worker):
    for _ in range(2):
        client.post("/api/v1/auth/login", json={"username": "wang", "password": "wrong-password-1"})
    f.login(client, "wang")
    assert db.session.scalar(select(User.failed_logins).where(User.id == worker)) == 0


def test_refresh_rotates_the_pair(client, worker):
    first = f.login(client, "wang")
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    assert me(client, second.json["access_token"]).status_code == 200


def test_a_reused_refresh_token_revokes_the_whole_family(client, worker):
    first = f.login(client, "wang")
    second = refresh(client, first["refresh_token"]).json
    replay = refresh(client, first["refresh_token"])
    assert replay.status_code == 401 and replay.json["code"] == "token_reused"
    # the thief's replay also signs out the legitimate holder of the newer tokens
    assert refresh(client, second["refresh_token"]).json["code"] == "token_revoked"
    assert me(client, second["access_token"]).json["code"] == "token_revoked"
    # another login (another family) is untouched
    other = f.login(client, "wang")
    assert me(client, other["access_token"]).status_code == 200


def test_logout_revokes_access_and_refresh_tokens(client, worker):
    tokens = f.login(client, "wang")
    response = client.post("/api/v1/auth/logout", headers=f.bearer(tokens["access_token"]))
    assert response.status_code == 204
    assert me(client, tokens["access_token"]).json["code"] == "token_revoked"
    assert refresh(client, tokens["refresh_token"]).json["code"] == "token_revoked"


def test_an_access_token_cannot_refresh_and_a_refresh_token_cannot_read(client, worker):
    tokens = f.login(client, "wang")
    assert refresh(client, tokens["access_token"]).json["code"] == "invalid_token"
    assert me(client, tokens["refresh_token"]).json["code"] == "invalid_token"


def test_an_expired_token_is_a_401_problem(client, worker):
    token = create_access_token(
        str(worker), expires_delta=timedelta(seconds=-60), additional_claims={"fam": "x"}
    )
    response = me(client, token)
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "token_expired"


def test_a_forged_token_is_rejected(client, worker):
    forged = pyjwt.encode(
        {"sub": str(worker), "type": "access", "fam": "x", "jti": "y", "role": "admin"},
        "guessed-secret-guessed-secret-guessed",
        algorithm="HS256",
    )
    response = me(client, forged)
    assert response.status_code == 401 and response.json["code"] == "invalid_token"


def test_a_missing_token_is_a_401_with_www_authenticate(client, worker):
    response = client.get("/api/v1/areas/440303000000")
    assert response.status_code == 401
    assert response.json["code"] == "missing_token"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_disabling_an_account_stops_its_live_tokens(client, worker):
    tokens = f.login(client, "wang")
    admin = f.auth_as(client, "admin", [])
    client.patch(f"/api/v1/users/{worker}", json={"active": False}, headers=admin)
    assert me(client, tokens["access_token"]).json["code"] == "account_disabled"
    assert refresh(client, tokens["refresh_token"]).json["code"] == "account_disabled"


def test_passwords_are_stored_as_argon2id_hashes(worker):
    stored = db.session.scalar(select(User.password_hash).where(User.id == worker))
    assert stored.startswith("$argon2id$") and f.PASSWORD not in stored


def spray(client, address: str, times: int) -> None:
    """Wrong passwords for as many different (even unknown) accounts from one address."""
    for i in range(times):
        client.post(
            "/api/v1/auth/login",
            json={"username": f"user{i}", "password": "wrong-password-1"},
            environ_base={"REMOTE_ADDR": address},
        )


@pytest.fixture
def address_limit(app):
    """At most 4 failed logins an address in the test's window."""
    saved = app.config["GRIDGOV_LOGIN_ADDRESS_MAX_FAILURES"]
    app.config["GRIDGOV_LOGIN_ADDRESS_MAX_FAILURES"] = 4
    yield 4
    app.config["GRIDGOV_LOGIN_ADDRESS_MAX_FAILURES"] = saved


def test_an_address_failing_across_many_accounts_is_refused_for_its_window(
    client, worker, address_limit
):
    spray(client, "10.0.0.9", address_limit)
    right = {"username": "wang", "password": f.PASSWORD}
    refused = client.post(
        "/api/v1/auth/login", json=right, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert (refused.status_code, refused.json["code"]) == (429, "address_throttled")
    assert 850 < int(refused.headers["Retry-After"]) <= 901
    elsewhere = client.post(
        "/api/v1/auth/login", json=right, environ_base={"REMOTE_ADDR": "10.0.0.8"}
    )
    assert elsewhere.status_code == 200
    # the user's own account is not locked: only the address is
    assert db.session.scalar(select(User.failed_logins).where(User.id == worker)) == 0


def test_an_address_may_log_in_again_once_its_window_has_passed(client, worker, address_limit):
    spray(client, "10.0.0.9", address_limit)
    db.session.execute(
        text("UPDATE login_address_failures SET window_start = now() - interval '16 minutes'")
    )
    db.session.commit()
    right = {"username": "wang", "password": f.PASSWORD}
    again = client.post("/api/v1/auth/login", json=right, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert again.status_code == 200
    spray(client, "10.0.0.9", 1)  # a failure after the window starts a new one
    failures = db.session.execute(text("SELECT failures FROM login_address_failures")).scalar()
    assert failures == 1


def test_failures_below_the_limit_do_not_refuse_the_address(client, worker, address_limit):
    spray(client, "10.0.0.9", address_limit - 1)
    right = {"username": "wang", "password": f.PASSWORD}
    ok = client.post("/api/v1/auth/login", json=right, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert ok.status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_the_one_counted(worker, address_limit):
    proxied = create_app({"TESTING": True, "GRIDGOV_PROXIES": 1})
    proxied.config["GRIDGOV_LOGIN_ADDRESS_MAX_FAILURES"] = address_limit
    try:
        client = proxied.test_client()

        def login(forwarded: str, username: str, password: str) -> int:
            body = {"username": username, "password": password}
            headers = {"X-Forwarded-For": forwarded}
            return client.post("/api/v1/auth/login", json=body, headers=headers).status_code

        for i in range(address_limit):
            assert login("10.1.1.1", f"user{i}", "wrong-password-1") == 401
        # the proxy's own address (the test client's) is shared; the forwarded ones are not
        assert login("10.1.1.1", "wang", f.PASSWORD) == 429
        assert login("10.1.1.2", "wang", f.PASSWORD) == 200
    finally:
        proxied.extensions["principal_cache"].stop()
        with proxied.app_context():
            db.engine.dispose()


def test_flask_auth_prune_forgets_expired_revocations_and_refresh_tokens_only(cli, client, worker):
    old, new = f.login(client, "wang"), f.login(client, "wang")
    for tokens in (old, new):
        assert (
            client.post("/api/v1/auth/logout", headers=f.bearer(tokens["access_token"])).status_code
            == 204
        )
    old_family = decode_token(old["refresh_token"])["fam"]
    # The first login's tokens and revocations have expired (their lifetimes are over).
    db.session.execute(
        text("UPDATE revocations SET expires_at = now() - interval '1 minute' WHERE key = :fam"),
        {"fam": old_family},
    )
    db.session.execute(
        text("UPDATE revocations SET expires_at = now() - interval '1 minute' WHERE key = :jti"),
        {"jti": decode_token(old["access_token"])["jti"]},
    )
    db.session.execute(
        text(
            "UPDATE refresh_tokens SET expires_at = now() - interval '1 minute' "
            "WHERE family = CAST(:fam AS uuid)"
        ),
        {"fam": old_family},
    )
    db.session.commit()
    result = cli.invoke(args=["auth", "prune"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "pruned 2 expired revocation(s)"
    db.session.remove()
    kept = db.session.scalars(text("SELECT key FROM revocations ORDER BY key")).all()
    new_claims = decode_token(new["access_token"])
    assert kept == sorted([new_claims["jti"], new_claims["fam"]])
    families = db.session.scalars(text("SELECT DISTINCT family::text FROM refresh_tokens")).all()
    assert families == [new_claims["fam"]]
    # What is still in force still holds: the second login's tokens stay revoked.
    assert refresh(client, new["refresh_token"]).status_code == 401


def test_prune_forgets_ended_address_windows_and_keeps_the_current_ones(cli, client):
    spray(client, "10.0.0.1", 1)
    spray(client, "10.0.0.2", 1)
    db.session.execute(
        text(
            "UPDATE login_address_failures SET window_start = now() - interval '1 hour' "
            "WHERE address = '10.0.0.1'"
        )
    )
    db.session.commit()
    result = cli.invoke(args=["auth", "prune"])
    assert "pruned 1 ended address window(s)" in result.output
    kept = db.session.scalars(text("SELECT address FROM login_address_failures")).all()
    assert kept == ["10.0.0.2"]
