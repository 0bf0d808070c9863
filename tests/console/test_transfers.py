"""迁入申请: a worker of another street records a move of someone registered here; the street's
desk accepts one request (the person moves) and refuses another with a reason."""

from playwright.sync_api import expect
from sqlalchemy import select

from gridgov.clock import district_today
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people.models import Person, TransferRequest
from tests import factories as f
from tests.console.conftest import OTHER_STREET, log_in


def test_street_staff_accept_one_move_and_refuse_another_with_a_reason(page, district):
    client, staff = district["client"], district["staff"]
    target, cell = db.session.execute(
        select(House.code, House.grid_code)
        .where(House.grid_code.like(OTHER_STREET[:9] + "%"), House.deleted_at.is_(None))
        .order_by(House.code)
        .limit(1)
    ).one()
    people = {}
    for seq in (801, 803):
        data = f.person_data(seq, district["house"], name=f"迁移{seq}")
        [created] = f.upload(client, staff, f.envelope("person", data, position=None))
        assert created["outcome"] == "created", created
        people[seq] = int(created["key"])
    f.make_user("east_worker", "grid_worker", [cell])
    east = f.bearer(f.login(client, "east_worker")["access_token"])
    today = district_today().isoformat()  # not before their registration in the house here
    for seq in (801, 803):
        move = {"id_number": f.id_number(seq), "house_code": target, "moved_in": today}
        [asked] = f.upload(client, east, f.envelope("person", move, op="move", position=None))
        assert asked["outcome"] == "transfer_requested", asked

    log_in(page, district, "street", "transfers")
    rows = page.locator("[data-test=transfers-table] .el-table__body tr")
    accept, refuse = (rows.filter(has_text=f"迁移{seq}") for seq in (801, 803))
    expect(accept).to_contain_text(target)
    expect(accept).to_contain_text(f.id_number(801)[:6] + "********" + f.id_number(801)[-4:])
    assert f.id_number(801) not in page.inner_text("[data-test=transfers-table]")

    accept.locator("[data-test=accept]").click()
    dialog = page.locator("[data-test=decide-dialog]")
    dialog.locator("[data-test=decide-submit]").click()
    expect(accept).to_have_count(0)
    refuse.locator("[data-test=refuse]").click()
    dialog.locator("[data-test=decide-submit]").click()
    expect(dialog.locator(".el-form-item__error")).to_have_text("拒绝须写明理由")
    dialog.locator("textarea[name=reason]").fill("。")
    dialog.locator("[data-test=decide-submit]").click()
    expect(dialog.locator(".el-form-item__error")).to_have_text("拒绝理由须写明理由（至少2个字）")
    dialog.locator("textarea[name=reason]").fill("本人仍在原址居住")
    dialog.locator("[data-test=decide-submit]").click()
    expect(refuse).to_have_count(0)

    db.session.expire_all()
    assert db.session.get(Person, people[801]).grid_code == cell
    assert db.session.get(Person, people[803]).grid_code == district["cell"]
    decided = {
        t.person_id: (t.status, t.reason)
        for t in db.session.scalars(
            select(TransferRequest).where(TransferRequest.person_id.in_(people.values()))
        )
    }
    assert decided == {
        people[801]: ("accepted", None),
        people[803]: ("refused", "本人仍在原址居住"),
    }
    page.click("[data-test=transfer-status] label:has-text('已拒绝')")
    expect(rows.filter(has_text="本人仍在原址居住")).to_have_count(1)


def test_the_admin_has_no_transfer_screen(page, district):
    log_in(page, district, "admin", "transfers")
    page.wait_for_url("**/console/users")
    assert "迁入申请" not in page.inner_text("[data-test=menu]")
