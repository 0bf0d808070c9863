"""人员 / 房屋: the search form on top sends the API's filters, the table shows what the API
answers, and the search survives a reload and the back button, with a name kept out of the URL."""

from urllib.parse import unquote

from playwright.sync_api import expect

from tests.console.conftest import DISTRICT, console, log_in


def token(district) -> str:
    return district["staff"]["Authorization"].split()[1]


def search(district, body: dict) -> dict:
    status, answer = district["server"].request(
        "POST", "/api/v1/persons/search", {"area": DISTRICT, "limit": 50, **body}, token(district)
    )
    assert status == 200, answer
    return answer


def houses(district, query: str) -> dict:
    status, answer = district["server"].request(
        "GET", f"/api/v1/houses?area={DISTRICT}&limit=50&{query}", token=token(district)
    )
    assert status == 200, answer
    return answer


def pick(page, select: str, option: str) -> None:
    page.click(f"[data-test={select}]")
    page.click(f".el-select-dropdown__item:visible:has-text('{option}')")
    expect(page.locator(".el-select__popper:visible")).to_have_count(0)  # closed, not fading


PERSON_NAMES = "[data-test=persons-table] .el-table__body tr td:first-child"
HOUSE_CODES = "[data-test=houses-table] .el-table__body tr td:first-child"


def test_a_name_search_shows_the_apis_people_and_survives_a_reload_without_the_name_in_the_url(
    page, district
):
    first = search(district, {"kind": "floating"})["persons"][0]["name"][0]
    expected = [
        p["name"] for p in search(district, {"kind": "floating", "name_prefix": first})["persons"]
    ]
    assert expected and all(n.startswith(first) for n in expected)
    log_in(page, district, "district", "persons")
    pick(page, "kind", "流动人口")
    page.fill("[data-test=search-form] input[name=name]", first)
    pick(page, "name-mode", "开头")
    page.click("[data-test=search-submit]")
    expect(page.locator(PERSON_NAMES)).to_have_text(expected)
    assert "kind=floating" in page.url and "name_mode=prefix" in page.url
    assert first not in unquote(page.url)  # a name never reaches a URL (nor the access log)
    page.reload()
    expect(page.locator(PERSON_NAMES)).to_have_text(expected)
    assert page.input_value("[data-test=search-form] input[name=name]") == first


def test_people_flags_narrow_the_list_as_the_api_does(page, district):
    log_in(page, district, "district", "persons")
    pick(page, "sex_mismatch", "否")
    pick(page, "special_concern", "是")
    page.click("[data-test=search-submit]")
    answer = search(district, {"special_concern": True, "sex_mismatch": False})["persons"]
    expect(page.locator(PERSON_NAMES)).to_have_text([p["name"] for p in answer] or [])
    assert "special_concern=true" in page.url and "sex_mismatch=false" in page.url
    assert all(p["special_concern"] for p in answer)
    if not answer:
        expect(page.locator("[data-test=persons-table] .el-table__empty-text")).to_be_visible()


def test_a_bad_number_of_days_is_refused_next_to_its_field(page, district):
    log_in(page, district, "district", "persons")
    page.fill("[data-test=search-form] input[name=expiring_within]", "99999")
    page.click("[data-test=search-submit]")
    error = page.locator("[data-test=search-form] .el-form-item__error")
    expect(error).to_have_text("登记到期天数应在 0 与 3660 之间")


def test_house_filters_come_from_the_url_and_paging_goes_back_with_the_browser(page, district):
    first, second = houses(district, "rented=true"), None
    assert first["next"], "more than one page of rented houses"
    second = houses(district, f"rented=true&after={first['next']}")
    log_in(page, district, "district", "houses?rented=true")
    expect(page.locator(HOUSE_CODES)).to_have_text([h["code"] for h in first["houses"]])
    expect(page.locator("[data-test=rented] .el-select__selection")).to_have_text("是")
    page.click("[data-test=next-page]")
    expect(page.locator(HOUSE_CODES)).to_have_text([h["code"] for h in second["houses"]])
    assert f"after={first['next']}" in page.url
    expect(page.locator("[data-test=page-no]")).to_have_text("第 2 页")
    page.go_back()
    expect(page.locator(HOUSE_CODES)).to_have_text([h["code"] for h in first["houses"]])
    expect(page.locator("[data-test=page-no]")).to_have_text("第 1 页")
    pick(page, "overcrowded", "是")
    page.click("[data-test=search-submit]")
    crowded = houses(district, "rented=true&overcrowded=true")["houses"]
    expect(page.locator(HOUSE_CODES)).to_have_text([h["code"] for h in crowded])
    assert crowded, "the generated district has overcrowded rentals"
    page.goto(console(district, "houses"))
    expect(page.locator("[data-test=rented] .el-select__selection")).to_have_text("全部")
    expect(page.locator("[data-test=page-no]")).to_have_text("第 1 页")
