"""/console/declare on a 375 px phone, no login: a resident declares themselves and the person
living with them, names the house by its door-plate code or by picking its address from lists,
gets a reference, follows it by the reference and the last four characters of the ID number,
and can withdraw it while it is not decided; bad input is named by its field."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from gridgov.declarations.models import Declaration
from gridgov.extensions import db
from gridgov.hierarchy.models import Area
from gridgov.houses.models import House
from tests import factories as f
from tests.console.conftest import console, screenshot
from tests.console.declaring import empty_houses
from tests.declarations import helpers as d


@pytest.fixture
def phone(browser, district):
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(console(district, "declare"))
    yield page
    context.close()


def pick(page, select: str, option: str) -> None:
    page.click(f"[data-test='{select}']")
    page.click(f".el-select-dropdown__item:visible:has-text('{option}')")
    expect(page.locator(".el-select__popper:visible")).to_have_count(0)


def pick_exactly(page, select: str, option: str) -> None:
    """Type to filter (the lists are long), then take the option whose text is exactly it."""
    page.click(f"[data-test='{select}']")
    page.keyboard.type(option)
    items = page.locator(".el-select-dropdown__item:visible")
    items.filter(has_text=re.compile(f"^{re.escape(option)}$")).first.click()
    expect(page.locator(".el-select__popper:visible")).to_have_count(0)


def fill_person(page, prefix: str, seq: int, name: str, floating: bool) -> None:
    page.fill(f"input[name='{prefix}id_number']", f.id_number(seq))
    page.fill(f"input[name='{prefix}name']", name)
    page.locator(f"[data-test='{prefix}sex']").get_by_text("男" if seq % 2 else "女").click()
    kind = "外来人员（流动人口）" if floating else "本地户籍"
    page.locator(f"[data-test='{prefix}kind']").get_by_text(kind).click()


def date(page, test: str, value: str) -> None:
    box = page.locator(f"input[name={test}]")
    box.fill(value)
    box.press("Tab")  # not Enter: Enter in a form's input submits the form
    page.keyboard.press("Escape")  # the calendar closed, so it covers no button below it
    expect(page.locator(".el-picker__popper:visible")).to_have_count(0)


def test_a_resident_declares_on_a_phone_and_follows_it_by_reference(phone, district):
    d.rules(district["client"], sample_rate=0.0)
    [house] = empty_houses(district, 1)
    fill_person(phone, "person.", 821, "申报八二一", floating=True)
    phone.fill("input[name='person.phone']", "13800138000")
    phone.fill("input[name=house_code]", house)
    date(phone, "arrival_date", "2026-06-01")
    pick(phone, "inflow_reason", "务工")
    pick(phone, "residence_type", "租赁房屋")
    phone.click("[data-test=with-lease]")
    phone.fill("input[name=landlord_name]", "房东甲")
    phone.fill("input[name=landlord_phone]", "13600136000")
    date(phone, "lease_start", "2026-06-01")
    date(phone, "lease_end", "2027-05-31")
    phone.click("[data-test=add-member]")
    fill_person(phone, "household.0.", 822, "同住八二二", floating=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
    screenshot(phone, "declare", full_page=True)
    phone.click("[data-test=declare-submit]")
    reference = phone.locator("[data-test=reference]")
    expect(reference).to_have_text(re.compile(r"^SB[0-9A-Z]{12}$"))
    ref = reference.inner_text()
    member = phone.locator("[data-test=member-reference]").inner_text()
    db.session.expire_all()
    staged = {
        x.reference: x
        for x in db.session.scalars(
            select(Declaration).where(Declaration.reference.in_([ref, member]))
        )
    }
    assert set(staged) == {ref, member} and staged[member].parent_id == staged[ref].id
    assert staged[ref].house_code == house and staged[ref].kind == "floating"

    phone.click("[data-test=declared] button:has-text('查询进度')")
    phone.fill("input[name=reference]", ref)
    phone.fill("input[name=id_last4]", f.id_number(821)[-4:])
    phone.click("[data-test=status-submit]")
    status = phone.locator("[data-test=status]")
    shown = {"triaged": "待审核", "visiting": "上门核查中"}[staged[ref].state]
    expect(status.locator("[data-test=state]")).to_have_text(shown)
    expect(status).to_contain_text(f.id_number(821)[:6] + "********" + f.id_number(821)[-4:])
    assert f.id_number(821) not in phone.inner_text("body")
    screenshot(phone, "declare-status")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_lease_ending_before_it_starts_is_named_by_its_field(phone, district):
    [house] = empty_houses(district, 1)
    fill_person(phone, "person.", 831, "申报八三一", floating=True)
    phone.fill("input[name=house_code]", house)
    date(phone, "arrival_date", "2026-06-01")
    pick(phone, "inflow_reason", "务工")
    pick(phone, "residence_type", "租赁房屋")
    phone.click("[data-test=with-lease]")
    phone.fill("input[name=landlord_name]", "房东乙")
    date(phone, "lease_start", "2026-06-01")
    date(phone, "lease_end", "2026-05-01")
    phone.click("[data-test=declare-submit]")
    # One error, under 租期结束, and the same words in the alert on top.
    expect(phone.locator(".el-form-item__error")).to_have_text(["租期结束不能早于租期开始"])
    lease_end = phone.locator(".el-form-item:has(input[name=lease_end]) .el-form-item__error")
    expect(lease_end).to_have_text("租期结束不能早于租期开始")
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(Declaration).where(
                Declaration.kind == "floating", Declaration.house_code == house
            )
        )
        is None
    )


def test_an_unknown_house_code_is_refused_next_to_the_field(phone, district):
    fill_person(phone, "person.", 833, "申报八三三", floating=False)
    phone.fill("input[name=house_code]", "4403030019990009999999999")
    phone.click("[data-test=declare-submit]")
    field = phone.locator(".el-form-item:has(input[name=house_code]) .el-form-item__error")
    expect(field).to_have_text("房屋编码不存在（请核对门牌上的编码）")


def test_a_wrong_last_four_finds_nothing_and_says_so_without_telling_which(phone, district):
    [house] = empty_houses(district, 1)
    answer = d.declare(district["client"], d.body(835, house), address="10.9.1.1")
    phone.click("[data-test=declare-tabs] >> text=查询进度")
    phone.fill("input[name=reference]", answer["reference"])
    phone.fill("input[name=id_last4]", "0000")
    phone.click("[data-test=status-submit]")
    expect(phone.locator("[data-test=status-error]")).to_contain_text("未找到该申报")
    expect(phone.locator("[data-test=status]")).to_have_count(0)


def test_a_resident_picks_the_address_from_lists_instead_of_typing_codes(phone, district):
    d.rules(district["client"], sample_rate=0.0)
    [code] = empty_houses(district, 1)
    house = db.session.scalar(select(House).where(House.code == code))
    names = dict(
        db.session.execute(
            select(Area.code, Area.name).where(
                Area.code.in_([house.community_code[:9] + "000", house.community_code])
            )
        ).all()
    )
    fill_person(phone, "person.", 841, "申报八四一", floating=False)
    phone.locator("[data-test=house-by]").get_by_text("按地址填写").click()
    expect(phone.locator("input[name=community_code]")).to_have_count(0)  # no code to type
    pick_exactly(phone, "pick-street", names[house.community_code[:9] + "000"])
    pick_exactly(phone, "pick-community", names[house.community_code])
    pick_exactly(phone, "pick-compound", house.compound)
    pick_exactly(phone, "pick-building", house.building)
    if house.unit:
        pick_exactly(phone, "pick-unit", house.unit)
    pick_exactly(phone, "pick-room", house.room)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "declare-address")
    phone.click("[data-test=declare-submit]")
    reference = phone.locator("[data-test=reference]")
    expect(reference).to_have_text(re.compile(r"^SB[0-9A-Z]{12}$"))
    db.session.expire_all()
    staged = db.session.scalar(
        select(Declaration).where(Declaration.reference == reference.inner_text())
    )
    assert staged.house_code == code and staged.community_code == house.community_code


def test_a_resident_withdraws_a_pending_declaration_from_the_status_page(phone, district):
    d.rules(district["client"], sample_rate=0.0)
    [house] = empty_houses(district, 1)
    answer = d.declare(district["client"], d.body(843, house), address="10.9.1.2")
    phone.click("[data-test=declare-tabs] >> text=查询进度")
    phone.fill("input[name=reference]", answer["reference"])
    phone.fill("input[name=id_last4]", f.id_number(843)[-4:])
    phone.click("[data-test=status-submit]")
    status = phone.locator("[data-test=status]")
    expect(status.locator("[data-test=state]")).to_have_text("待审核")
    phone.click("[data-test=withdraw]")
    phone.fill("input[name=withdraw_reason]", "信息填错，重新申报")
    screenshot(phone, "declare-withdraw")
    phone.click("[data-test=withdraw-confirm]")
    expect(status.locator("[data-test=state]")).to_have_text("已撤回")
    expect(phone.locator("[data-test=withdraw]")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    db.session.expire_all()
    stored = db.session.scalar(
        select(Declaration).where(Declaration.reference == answer["reference"])
    )
    assert stored.state == "withdrawn" and stored.decided_at is not None
