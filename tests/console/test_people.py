"""人员: a look-up by ID number opens the person; 查看完整号码 needs a reason, shows the number
once and leaves an audit row; a form error names its field in Chinese."""

from sqlalchemy import func, select

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people.models import Person
from tests.console.conftest import console, log_in


def audit(action: str, key: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action, AuditEvent.entity_key == key)
        )
    )


def test_a_look_up_by_id_number_opens_the_person_with_masked_numbers(page, district):
    person = district["person"]
    log_in(page, district, "district", "persons")
    page.fill("[data-test=lookup-form] input[name=id_number]", person["id_number"])
    page.click("[data-test=lookup-submit]")
    page.wait_for_url(f"**/console/persons/{district['person_id']}")
    shown = page.wait_for_selector("[data-test=person]").inner_text()
    name = db.session.get(Person, district["person_id"]).name  # the conflict test renames
    assert page.inner_text(".page h2").startswith(name)
    assert person["id_number"] not in shown
    assert person["id_number"][:6] + "********" + person["id_number"][-4:] in shown
    assert "139****5678" in shown
    assert audit("lookup_person", str(district["person_id"]))


def test_a_malformed_id_number_is_refused_next_to_the_field(page, district):
    log_in(page, district, "district", "persons")
    page.fill("[data-test=lookup-form] input[name=id_number]", "44030319900101007")
    page.click("[data-test=lookup-submit]")
    error = page.wait_for_selector("[data-test=lookup-form] .el-form-item__error")
    assert error.inner_text().startswith("身份证号")
    assert page.url.endswith("/console/persons")


def test_revealing_a_number_needs_a_reason_shows_it_once_and_is_audited(page, district):
    person, key = district["person"], str(district["person_id"])
    before = len(audit("reveal", key))
    log_in(page, district, "street", f"persons/{key}")
    page.click("[data-test=reveal-id_number]")
    dialog = page.locator("[data-test=reveal-dialog]")
    dialog.locator("[data-test=reveal-submit]").click()
    assert dialog.locator(".el-form-item__error").inner_text() == "请填写查看理由"
    # Only punctuation: the API's rule (a reason must say why), in Chinese, by the field; the
    # refusal is audited, and nothing is disclosed.
    dialog.locator("textarea[name=reason]").fill("。。。")
    dialog.locator("[data-test=reveal-submit]").click()
    error = dialog.locator(".el-form-item__error:has-text('至少2个字')")
    assert error.inner_text() == "查看理由须写明理由（至少2个字，不能只有空格或标点）"
    assert len(audit("reveal", key)) == before
    assert audit("reveal_refused", key)
    dialog.locator("textarea[name=reason]").fill("核实居住登记信息")
    dialog.locator("[data-test=reveal-submit]").click()
    assert dialog.locator("[data-test=revealed]").inner_text() == person["id_number"]
    rows = audit("reveal", key)
    assert len(rows) == before + 1
    assert rows[-1].after == {"field": "id_number", "reason": "核实居住登记信息"}
    dialog.locator("button:has-text('关闭')").click()
    assert person["id_number"] not in page.inner_text("[data-test=person]")


def test_the_house_page_lists_who_lives_there(page, district):
    log_in(page, district, "district", f"houses/{district['house']}")
    occupants = page.wait_for_selector("[data-test=occupants]").inner_text()
    assert db.session.get(Person, district["person_id"]).name in occupants
    assert district["person"]["id_number"] not in occupants


def test_street_staff_cannot_open_another_streets_statistics_by_url(page, district):
    log_in(page, district, "street", "stats/440303002000")
    error = page.wait_for_selector("[data-test=stats-error]").inner_text()
    assert "不在您的管辖范围内" in error
    assert page.locator("[data-test=stats-table] .el-table__row").count() == 0
    other = db.session.scalar(
        select(func.substr(House.code, 1, 17)).where(House.grid_code.like("440303002%")).limit(1)
    )
    page.goto(console(district, f"buildings/{other}"))
    assert "不在您的管辖范围" in page.wait_for_selector("[data-test=building-error]").inner_text()
