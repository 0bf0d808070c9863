"""Earlier sessions end when an account's password is reset or it is disabled or enabled again;
a lock looks the same whether or not the name has an account."""

import pytest
from sqlalchemy import select

from gridgov.accounts.models import User
from gridgov.extensions import db
from tests import factories as f

WRONG = "wrong-password-1"


@pytest.fixture
def worker():
    f.make_district()
    return f.make_user("wang", "grid_worker", [f.OWN_CELL])


@pytest.fixture
def admin(client):
    return f.auth_as(client, "admin", [])


def me(client, token):
    return client.get("/api/v1/auth/me", headers=f.bearer(token))


def refresh(client, token):
    return client.post("/api/v1/auth/refresh", headers=f.bearer(token))


def test_a_password_reset_ends_every_earlier_session(client, worker, admin):
    first, second = f.login(client, "wang"), f.login(client, "wang")
    response = client.patch(
        f"/api/v1/users/{worker}", json={"password": "a-new-password-42"}, headers=admin
    )
    assert response.status_code == 200
    for tokens in (first, second):
        assert me(client, tokens["access_token"]).json["code"] == "token_revoked"
        assert refresh(client, tokens["refresh_token"]).status_code == 401
    assert db.session.get(User, worker).sessions_since is not None
    fresh = f.login(client, "wang", "a-new-password-42")
    assert me(client, fresh["access_token"]).status_code == 200


def test_a_refused_new_password_ends_no_session(client, worker, admin):
    tokens = f.login(client, "wang")
    response = client.patch(f"/api/v1/users/{worker}", json={"password": "short"}, headers=admin)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "password"
    assert me(client, tokens["access_token"]).status_code == 200


def test_enabling_an_account_again_does_not_revive_its_old_tokens(client, worker, admin):
    tokens = f.login(client, "wang")
    client.patch(f"/api/v1/users/{worker}", json={"active": False}, headers=admin)
    client.patch(f"/api/v1/users/{worker}", json={"active": True}, headers=admin)
    assert me(client, tokens["access_token"]).json["code"] == "token_revoked"
    assert refresh(client, tokens["refresh_token"]).status_code == 401
    assert me(client, f.login(client, "wang")["access_token"]).status_code == 200


def test_changing_only_the_display_name_keeps_the_sessions(client, worker, admin):
    tokens = f.login(client, "wang")
    client.patch(f"/api/v1/users/{worker}", json={"display_name": "王五"}, headers=admin)
    assert me(client, tokens["access_token"]).status_code == 200
    assert refresh(client, tokens["refresh_token"]).status_code == 200


def test_a_revoked_token_is_refused_with_www_authenticate(client, worker):
    tokens = f.login(client, "wang")
    client.post("/api/v1/auth/logout", headers=f.bearer(tokens["access_token"]))
    response = me(client, tokens["access_token"])
    assert (response.status_code, response.json["code"]) == (401, "token_revoked")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_wrong_password_answer_names_the_bearer_scheme(client, worker):
    response = client.post("/api/v1/auth/login", json={"username": "wang", "password": WRONG})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def _fail(client, username):
    return client.post("/api/v1/auth/login", json={"username": username, "password": WRONG})


def test_a_name_without_an_account_locks_exactly_like_an_account(client, worker):
    # The test config allows 3 failures: the 4th attempt of either name is refused as locked.
    answers = {}
    for name in ("wang", "nobody"):
        seen = [(r.status_code, r.json["code"]) for r in (_fail(client, name) for _ in range(4))]
        answers[name] = seen
    assert answers["wang"] == answers["nobody"]
    assert answers["nobody"] == [(401, "invalid_credentials")] * 3 + [(429, "account_locked")]
    locked = [_fail(client, name) for name in ("wang", "nobody")]
    assert [r.json["detail"] for r in locked][0][:30] == locked[1].json["detail"][:30]
    # The test config locks for 300 s; the two were locked a few hashing seconds apart.
    assert all(290 <= int(r.headers["Retry-After"]) <= 301 for r in locked)


def test_prune_forgets_names_that_have_not_failed_for_a_month(cli, client):
    from datetime import UTC, datetime, timedelta

    from gridgov.auth.models import UnknownNameFailures

    _fail(client, "stale")
    _fail(client, "recent")
    db.session.get(UnknownNameFailures, "stale").last_failed_at = datetime.now(UTC) - timedelta(
        days=31
    )
    db.session.commit()
    result = cli.invoke(args=["auth", "prune"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalars(select(UnknownNameFailures.username)).all() == ["recent"]


@pytest.mark.parametrize("device", ["x" * 101, "pda\x00"])
def test_a_bad_device_header_is_refused_before_any_password_is_checked(client, worker, device):
    response = client.post(
        "/api/v1/auth/login",
        json={"username": "wang", "password": WRONG},
        headers={"X-Device-Id": device},
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "X-Device-Id"
    # Nothing was tried, so nothing counted; three real failures still lock as before.
    assert [_fail(client, "wang").status_code for _ in range(4)] == [401, 401, 401, 429]
