"""Logging in per role: each role lands on its own screen with the menu its role allows."""

from tests.console.conftest import console, log_in

DESK_MENU = [
    "地图",
    "统计",
    "人员",
    "房屋",
    "楼盘表",
    "迁入申请",
    "申报审核",
    "上门核查",
    "冲突",
    "网格调整",
]


def menu(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-test=menu] .el-menu-item").all_inner_texts()]


def test_district_staff_land_on_the_map_with_the_desk_menu_and_their_district(page, district):
    log_in(page, district, "district")
    assert page.url.endswith("/console/map")
    assert menu(page) == DESK_MENU
    assert "区级工作人员" in page.inner_text("[data-test=who]")
    assert "罗湖区" in page.inner_text("[data-test=who]")


def test_street_staff_see_their_street_in_the_header(page, district):
    log_in(page, district, "street")
    # The hall's window registration is the street's alone.
    assert menu(page) == DESK_MENU[:8] + ["窗口登记"] + DESK_MENU[8:]
    assert "桂园街道" in page.inner_text("[data-test=who]")


def test_a_grid_worker_is_told_the_console_is_for_desk_staff_and_shown_their_cell(page, district):
    log_in(page, district, "worker", "stats")
    notice = page.wait_for_selector("[data-test=worker-notice]")
    assert "街道和区级工作人员" in notice.inner_text()
    assert district["cell"] in notice.inner_text()
    assert menu(page) == []
    page.goto(console(district, "persons"))
    page.wait_for_selector("[data-test=worker-notice]")
    assert page.locator("[data-test=persons-table]").count() == 0


def test_the_admin_manages_accounts_and_sees_no_desk_screens(page, district):
    log_in(page, district, "admin")
    page.wait_for_selector("[data-test=users-table] .el-table__row")
    assert menu(page) == ["账号"]
    names = page.locator("[data-test=users-table] .el-table__row td:first-child").all_inner_texts()
    assert {"district", "street", "worker", "admin"} <= {n.strip() for n in names}


def test_a_wrong_password_is_shown_in_chinese_and_keeps_the_user_name(page, district):
    page.goto(console(district))
    page.fill("input[name=username]", "street")
    page.fill("input[name=password]", "wrong-password")
    page.click("[data-test=login-form] button[type=submit]")
    assert "用户名或密码错误" in page.inner_text("[data-test=login-error]")
    assert page.input_value("input[name=username]") == "street"
