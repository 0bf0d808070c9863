"""Tokens in the console: a reload keeps the clerk logged in, an expired access token is
refreshed silently, a session that cannot be renewed asks for the password over the screen
(keeping what was typed), and logout revokes."""

from datetime import timedelta

from flask_jwt_extended import create_access_token
from sqlalchemy import func, select

from gridgov.accounts.models import User
from gridgov.auth.models import RefreshToken
from gridgov.extensions import db
from tests import factories as f
from tests.console.conftest import console, log_in

REFRESH = "() => sessionStorage.getItem('gridgov.refresh')"


def expired_token(username: str) -> str:
    user = db.session.scalar(select(User).where(User.username == username))
    return create_access_token(
        str(user.id),
        additional_claims={"fam": "00000000-0000-0000-0000-000000000000", "role": user.role},
        expires_delta=timedelta(seconds=-60),
    )


def used_refresh_tokens(username: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count())
        .select_from(RefreshToken)
        .join(User, User.id == RefreshToken.user_id)
        .where(User.username == username, RefreshToken.used_at.is_not(None))
    )


def expire_next(page, pattern: str, token: str) -> list:
    """The next request matching `pattern` carries an expired access token, as one would after
    15 minutes at the desk: the server answers it with a real 401."""
    swapped = []

    def handle(route):
        if not swapped:
            swapped.append(route.request.url)
            headers = {**route.request.headers, "authorization": f"Bearer {token}"}
            route.continue_(headers=headers)
        else:
            route.continue_()

    page.route(pattern, handle)
    return swapped


def test_a_reload_keeps_the_clerk_logged_in(page, district):
    log_in(page, district, "district", "persons")
    page.wait_for_selector("[data-test=persons-table] .el-table__row")
    page.reload()
    page.wait_for_selector("[data-test=persons-table] .el-table__row")
    assert page.url.endswith("/console/persons")
    assert page.evaluate(REFRESH)


def test_an_expired_access_token_is_refreshed_silently(page, district):
    log_in(page, district, "district", "persons")
    page.wait_for_selector("[data-test=persons-table] .el-table__row")
    first_refresh = page.evaluate(REFRESH)
    used = used_refresh_tokens("district")
    swapped = expire_next(page, "**/api/v1/stats/**", expired_token("district"))
    page.click("[data-test=menu] .el-menu-item:has-text('统计')")
    page.wait_for_selector("[data-test=stats-table] .el-table__body .el-table__row")
    assert swapped and "/api/v1/stats/" in swapped[0]
    assert page.locator("[data-test=relogin]:visible").count() == 0
    assert page.evaluate(REFRESH) != first_refresh  # rotated
    assert used_refresh_tokens("district") == used + 1


def test_a_session_that_cannot_be_renewed_asks_again_and_keeps_the_typed_input(page, district):
    person = district["person"]
    log_in(page, district, "district", "persons")
    page.wait_for_selector("[data-test=persons-table] .el-table__row")
    # Someone else used this tab's refresh token: the API revokes the whole login.
    stolen = page.evaluate(REFRESH)
    status, _ = district["server"].request("POST", "/api/v1/auth/refresh", token=stolen)
    assert status == 200
    expire_next(page, "**/api/v1/persons/lookup", expired_token("district"))
    page.fill("[data-test=lookup-form] input[name=id_number]", person["id_number"])
    page.click("[data-test=lookup-submit]")
    dialog = page.locator("[data-test=relogin]")
    dialog.locator("input[name=username]").fill("district")
    dialog.locator("input[name=password]").fill(f.PASSWORD)
    assert page.input_value("[data-test=lookup-form] input[name=id_number]") == person["id_number"]
    dialog.locator("button[type=submit]").click()
    page.wait_for_url(f"**/console/persons/{district['person_id']}")


def test_logout_revokes_the_refresh_token(page, district):
    log_in(page, district, "district")
    token = page.evaluate(REFRESH)
    page.click("[data-test=logout]")
    page.click(".el-message-box button:has-text('退出')")
    page.wait_for_url("**/console/login**")
    assert page.evaluate(REFRESH) is None
    status, problem = district["server"].request("POST", "/api/v1/auth/refresh", token=token)
    assert status == 401, problem
    page.goto(console(district, "map"))
    page.wait_for_selector("[data-test=login-form]")


def test_a_network_failure_offers_a_retry_and_loses_nothing(page, district):
    log_in(page, district, "district", "houses")
    page.wait_for_selector("[data-test=houses-table] .el-table__row")
    cut = []

    def drop_once(route):
        if not cut:
            cut.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/persons/search", drop_once)  # the list searches by POST
    page.click("[data-test=menu] .el-menu-item:has-text('人员')")
    alert = page.wait_for_selector(".el-alert:has-text('网络连接失败')")
    alert.query_selector("button:has-text('重试')").click()
    page.wait_for_selector("[data-test=persons-table] .el-table__row")
    assert cut and page.locator(".el-alert:has-text('网络连接失败')").count() == 0
