"""窗口登记: the hall clerk registers a walk-in resident from the card, then corrects them with
the version read; written as an upload is, audited with the clerk as verifier."""

from playwright.sync_api import expect
from sqlalchemy import select

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.people.models import Person
from tests import factories as f
from tests.console.conftest import log_in, screenshot
from tests.console.declaring import empty_houses

FORM = "[data-test=window-form]"


def test_a_clerk_registers_a_walk_in_resident_then_corrects_their_phone(page, district):
    [house] = empty_houses(district, 1)
    number = f.id_number(841)
    log_in(page, district, "street", "window")
    page.fill(f"{FORM} input[name=id_number]", number)
    page.fill(f"{FORM} input[name=name]", "窗口八四一")
    page.locator(f"{FORM} [data-test=sex]").get_by_text("男").click()
    page.fill(f"{FORM} input[name=phone]", "13500135000")
    page.fill(f"{FORM} input[name=house_code]", house)
    screenshot(page, "window")
    page.click("[data-test=window-submit]")
    done = page.locator("[data-test=window-done]")
    expect(done).to_contain_text("已登记")
    expect(done).to_contain_text(number[:6] + "********" + number[-4:])
    db.session.expire_all()
    person = db.session.scalar(select(Person).where(Person.name == "窗口八四一"))
    assert person.capture_method == "card_reader" and person.version == 1
    audit = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "window_registration", AuditEvent.entity_key == str(person.id)
        )
    )
    assert audit.after["verified_by"] == "street"

    page.click("[data-test=window-next]")
    page.fill(f"{FORM} input[name=id_number]", number)
    page.click("[data-test=window-fetch]")
    expect(page.locator("[data-test=window-found]")).to_contain_text("更正第 1 版记录")
    assert page.input_value(f"{FORM} input[name=name]") == "窗口八四一"
    page.fill(f"{FORM} input[name=phone]", "13500135999")
    page.click("[data-test=window-submit]")
    expect(done).to_contain_text("已更正")
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.version == 2 and person.phone_masked == "135****5999"


def test_a_house_code_nobody_has_is_named_next_to_its_field(page, district):
    log_in(page, district, "street", "window")
    page.fill(f"{FORM} input[name=id_number]", f.id_number(843))
    page.fill(f"{FORM} input[name=name]", "窗口八四三")
    page.locator(f"{FORM} [data-test=sex]").get_by_text("男").click()
    page.fill(f"{FORM} input[name=house_code]", "4403030019990009999999999")
    page.click("[data-test=window-submit]")
    error = page.locator(f"{FORM} .el-form-item:has(input[name=house_code]) .el-form-item__error")
    expect(error).to_contain_text("房屋编码")
    db.session.expire_all()
    assert db.session.scalar(select(Person).where(Person.name == "窗口八四三")) is None


def test_district_staff_have_no_window_screen(page, district):
    log_in(page, district, "district", "window")
    page.wait_for_url("**/console/map")
    assert "窗口登记" not in page.inner_text("[data-test=menu]")
