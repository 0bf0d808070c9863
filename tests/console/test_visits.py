"""上门核查: street staff send a plain house check for a house of their street; a house code of
another street is refused in the dialog, as one nobody has."""

from playwright.sync_api import expect
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.visits.models import VisitTask
from tests.console.conftest import OTHER_STREET, log_in
from tests.console.declaring import empty_houses


def send(page, house: str, reason: str) -> None:
    page.click("[data-test=issue-visit]")
    dialog = page.locator("[data-test=visit-dialog]")
    dialog.locator("input[name=house_code]").fill(house)
    dialog.locator("textarea[name=reason]").fill(reason)
    dialog.locator("[data-test=visit-submit]").click()


def test_a_house_check_sent_from_the_desk_is_listed_as_open(page, district):
    [house] = empty_houses(district, 1)
    log_in(page, district, "street", "visits")
    send(page, house, "核查出租情况")
    row = page.locator("[data-test=visits-table] .el-table__body tr").filter(
        has_text="核查出租情况"
    )
    expect(row).to_contain_text(house)
    expect(row).to_contain_text("房屋核查")
    expect(row).to_contain_text("待核查")
    db.session.expire_all()
    task = db.session.scalar(select(VisitTask).where(VisitTask.reason == "核查出租情况"))
    assert task.subject_type == "house_check" and task.state == "open"


def test_a_house_of_another_street_is_refused_in_the_dialog(page, district):
    other = db.session.scalar(
        select(House.code).where(House.grid_code.like(OTHER_STREET[:9] + "%")).limit(1)
    )
    log_in(page, district, "street", "visits")
    send(page, other, "越界核查")
    error = page.locator("[data-test=visit-dialog] .el-form-item__error")
    expect(error).to_contain_text("找不到该房屋，或不在您的管辖范围内")
    db.session.expire_all()
    assert db.session.scalar(select(VisitTask).where(VisitTask.reason == "越界核查")) is None
