"""申报审核 and 上门核查: the queue with the rule and the difference, bulk approval of read desk
items, a stale record shown in both versions, a rejection the resident reads, a door visit
sent and withdrawn."""

from playwright.sync_api import expect
from sqlalchemy import select

from gridgov.declarations.models import Declaration
from gridgov.extensions import db
from gridgov.people.models import Person
from gridgov.visits.models import VisitTask
from tests import factories as f
from tests.console.conftest import console, log_in, screenshot
from tests.console.declaring import declare, empty_houses, phone_changed

QUEUE = "[data-test=queue] .el-table__body tr"


def fresh(decl: Declaration) -> Declaration:
    db.session.expire_all()
    return db.session.get(Declaration, decl.id)


def open_review(page, decl: Declaration):
    page.locator(QUEUE).filter(has_text=decl.reference).locator("td").nth(2).click()
    review = page.locator("[data-test=review]")
    expect(review).to_contain_text(decl.reference)
    return review


def test_desk_items_show_rule_and_difference_and_are_approved_together_once_read(page, district):
    first, second = empty_houses(district, 2)
    a = phone_changed(district, 811, first, "10.9.0.1")
    b = phone_changed(district, 813, second, "10.9.0.2")
    log_in(page, district, "street", "review?route=desk")
    rows = page.locator(QUEUE)
    expect(rows.filter(has_text=a.reference)).to_contain_text("电话号码变更")
    # Not read yet: its box cannot be ticked.
    expect(rows.filter(has_text=a.reference).locator(".el-checkbox.is-disabled")).to_have_count(1)
    review = open_review(page, a)
    expect(review.locator("[data-test=rule]")).to_contain_text("电话号码变更（第")
    diff = review.locator("[data-test=diff]")
    expect(diff).to_contain_text("联系电话")
    expect(diff).to_contain_text("139****5678")
    expect(diff).to_contain_text("137****1111")
    assert "13700001111" not in page.inner_text("body")
    screenshot(page, "review")
    open_review(page, b)
    for decl in (a, b):
        rows.filter(has_text=decl.reference).locator(".el-checkbox").click()
    page.click("[data-test=bulk-approve]")
    page.click(".el-message-box button:has-text('通过')")
    expect(rows.filter(has_text=a.reference)).to_have_count(0)
    expect(rows.filter(has_text=b.reference)).to_have_count(0)
    for decl in (a, b):
        now = fresh(decl)
        assert now.state == "approved"
        person = db.session.get(Person, now.person_id)
        assert person.version == 2 and person.phone_masked == "137****1111"


def test_a_record_changed_since_triage_is_shown_in_both_versions_before_approval(page, district):
    [house] = empty_houses(district, 1)
    decl = phone_changed(district, 815, house, "10.9.0.3")
    # A grid worker's device (here: district staff's upload) changes the record meanwhile.
    person = db.session.scalar(select(Person).where(Person.id_index == decl.id_index))
    edit = {**f.person_data(815, house, kind="resident"), "name": "测试815改"}
    [changed] = f.upload(
        district["client"],
        district["staff"],
        f.envelope("person", edit, base_version=person.version, position=None),
    )
    assert changed["outcome"] == "updated", changed
    log_in(page, district, "street", "review")
    expect(
        page.locator(QUEUE).filter(has_text=decl.reference).locator("[data-test=stale-tag]")
    ).to_be_visible()
    review = open_review(page, decl)
    expect(review.locator("[data-test=stale-warning]")).to_contain_text(
        "分流时第 1 版，现为第 2 版"
    )
    review.locator("[data-test=approve]").click()
    dialog = page.locator("[data-test=decision-dialog]")
    dialog.locator("[data-test=decision-submit]").click()
    stale = dialog.locator("[data-test=stale-confirm]")
    expect(stale).to_contain_text("记录版本：分流时第 1 版，现为第 2 版")
    expect(stale).to_contain_text("137****1111")  # declared
    expect(stale).to_contain_text("139****5678")  # the record now
    screenshot(page, "review-stale")
    assert fresh(decl).state == "triaged"  # nothing written before the clerk confirms
    dialog.locator("[data-test=confirm-stale]").click()
    expect(page.locator(QUEUE).filter(has_text=decl.reference)).to_have_count(0)
    now = fresh(decl)
    assert now.state == "approved" and "approved_stale" in now.flags


def test_a_rejection_needs_a_reason_which_the_resident_reads_on_the_status_page(
    page, browser, district
):
    [house] = empty_houses(district, 1)
    decl = declare(district, 817, house, "10.9.0.4")
    log_in(page, district, "street", "review")
    review = open_review(page, decl)
    review.locator("[data-test=reject]").click()
    dialog = page.locator("[data-test=decision-dialog]")
    dialog.locator("[data-test=decision-submit]").click()
    expect(dialog.locator(".el-form-item__error")).to_have_text("退回须写明理由（申报人会看到）")
    dialog.locator("textarea[name=reason]").fill("房屋编码与实际住址不符，请核对门牌")
    dialog.locator("[data-test=decision-submit]").click()
    expect(page.locator(QUEUE).filter(has_text=decl.reference)).to_have_count(0)
    assert fresh(decl).state == "rejected"

    phone = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, locale="zh-CN"
    )
    try:
        resident = phone.new_page()
        resident.goto(console(district, "declare"))
        resident.click("[data-test=declare-tabs] >> text=查询进度")
        resident.fill("input[name=reference]", decl.reference)
        resident.fill("input[name=id_last4]", f.id_number(817)[-4:])
        resident.click("[data-test=status-submit]")
        expect(resident.locator("[data-test=state]")).to_have_text("未通过")
        expect(resident.locator("[data-test=status-reason]")).to_have_text(
            "原因：房屋编码与实际住址不符，请核对门牌"
        )
        assert f.id_number(817) not in resident.inner_text("body")
    finally:
        phone.close()


def test_a_door_visit_sent_from_the_review_is_listed_and_withdrawn_with_a_reason(page, district):
    [house] = empty_houses(district, 1)
    decl = phone_changed(district, 819, house, "10.9.0.5")
    log_in(page, district, "street", "review")
    review = open_review(page, decl)
    review.locator("[data-test=visit]").click()
    dialog = page.locator("[data-test=decision-dialog]")
    dialog.locator("textarea[name=reason]").fill("核实现住址与联系电话")
    dialog.locator("[data-test=decision-submit]").click()
    expect(page.locator(QUEUE).filter(has_text=decl.reference)).to_contain_text("上门核查中")
    task = db.session.scalar(
        select(VisitTask).where(
            VisitTask.subject_type == "declaration", VisitTask.subject_id == decl.id
        )
    )
    assert task is not None and task.state == "open"

    page.click("[data-test=menu] .el-menu-item:has-text('上门核查')")
    row = page.locator("[data-test=visits-table] .el-table__body tr").filter(
        has_text="核实现住址与联系电话"
    )
    expect(row).to_contain_text(house)
    expect(row).to_contain_text("申报核查")
    screenshot(page, "visits")
    row.locator("[data-test=withdraw]").click()
    visit = page.locator("[data-test=visit-dialog]")
    visit.locator("[data-test=visit-submit]").click()
    expect(visit.locator(".el-form-item__error")).to_have_text("请填写撤回理由")
    visit.locator("textarea[name=reason]").fill("申报人已到窗口核实")
    visit.locator("[data-test=visit-submit]").click()
    expect(row).to_have_count(0)  # the list shows open tasks
    db.session.expire_all()
    assert db.session.get(VisitTask, task.id).state == "withdrawn"
