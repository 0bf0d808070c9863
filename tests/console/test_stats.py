"""统计: the table shows the API's numbers for every child, and the export has the same rows."""

import csv
import io
from pathlib import Path

from tests.console.conftest import STREET, log_in


def test_the_statistics_table_and_its_csv_export_hold_the_apis_numbers(page, district):
    server = district["server"]
    token = district["staff"]["Authorization"].split()[1]
    status, api = server.request("GET", f"/api/v1/stats/{STREET}?by=community", token=token)
    assert status == 200
    log_in(page, district, "street", "stats")
    page.wait_for_selector("[data-test=stats-table] .el-table__body .el-table__row")
    page.wait_for_selector("[data-test=series-chart]")
    table = page.eval_on_selector_all(
        "[data-test=stats-table] .el-table__body-wrapper .el-table__row",
        "rows => rows.map(r => [r.cells[1].innerText.trim(), "
        "+r.querySelector('[data-measure=population]').innerText, "
        "+r.querySelector('[data-measure=rentals]').innerText])",
    )
    expected = [
        (c["code"], c["values"]["population"], c["values"]["rentals"]) for c in api["children"]
    ]
    expected.append((STREET, api["total"]["population"], api["total"]["rentals"]))
    assert [tuple(row) for row in table] == expected
    with page.expect_download() as download:
        page.click("[data-test=export-csv]")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    # The clerk's file: Chinese headers (区划代码 = code, 实有人口 = population, 出租房屋 = rentals)
    assert [(r["区划代码"], int(r["实有人口"]), int(r["出租房屋"])) for r in rows] == expected
    assert download.value.suggested_filename.endswith(".csv")


def test_a_past_day_is_counted_as_of_that_day(page, district):
    log_in(page, district, "street", "stats")
    page.wait_for_selector("[data-test=stats-table] .el-table__body .el-table__row")
    page.fill("[data-test=as-of] input", "2025-06-30")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-test=as-of-shown]:has-text('2025-06-30')")
    token = district["staff"]["Authorization"].split()[1]
    status, api = district["server"].request(
        "GET", f"/api/v1/stats/{STREET}?as_of=2025-06-30", token=token
    )
    assert status == 200
    last = page.locator("[data-test=stats-table] .el-table__body-wrapper .el-table__row").last
    assert int(last.locator("[data-measure=population]").inner_text()) == api["total"]["population"]
