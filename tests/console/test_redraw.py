"""网格调整: a proposal for a community is drawn and listed with the API's numbers; merging two
cells is re-checked; district staff approve it and see the crosswalk."""

from sqlalchemy import func, select

from gridgov.extensions import db
from gridgov.hierarchy.models import Area
from gridgov.houses.models import House
from tests.console.conftest import log_in


def busiest_community(street_prefix: str) -> str:
    """The community of the street with the most houses (away from the street the other
    tests read, so closing its cells changes nothing they look at)."""
    community = func.substr(House.grid_code, 1, 12)
    return db.session.scalar(
        select(community)
        .where(House.grid_code.like(street_prefix + "%"), House.deleted_at.is_(None))
        .group_by(community)
        .order_by(func.count().desc(), community)
        .limit(1)
    )


def rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "[data-test=proposal-cells] .el-table__body-wrapper .el-table__row",
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))",
    )


def test_a_proposal_is_edited_approved_and_its_crosswalk_shown(page, district):
    community = busiest_community("440303010")
    before = set(
        db.session.scalars(
            select(Area.code).where(Area.parent_code == community, Area.valid_to.is_(None))
        )
    )
    log_in(page, district, "district", f"redraw?community={community}")
    page.fill("[data-test=min] input", "1")
    page.fill("[data-test=max] input", "3")
    page.click("[data-test=propose-form] button[type=submit]")
    page.wait_for_selector("[data-test=proposal-cells] .el-table__row")
    token = district["staff"]["Authorization"].split()[1]
    status, listed = district["server"].request(
        "GET", f"/api/v1/grids/proposals?community={community}", token=token
    )
    assert status == 200
    newest = listed[0] if isinstance(listed, list) else listed["proposals"][0]
    status, proposal = district["server"].request(
        "GET", f"/api/v1/grids/proposals/{newest['id']}", token=token
    )
    cells = {f["properties"]["cell"]: f["properties"] for f in proposal["cells"]["features"]}
    shown = rows(page)
    assert len(shown) == len(cells) >= 2
    for row in shown:
        cell = cells[int(row[1])]
        assert (int(row[2]), int(row[3])) == (cell["households"], cell["persons"])

    page.locator("[data-test=proposal-cells] .el-table__body .el-checkbox").nth(0).click()
    page.locator("[data-test=proposal-cells] .el-table__body .el-checkbox").nth(1).click()
    page.click("[data-test=merge]")
    page.wait_for_function(
        "n => document.querySelectorAll('[data-test=proposal-cells] .el-table__body-wrapper"
        " .el-table__row').length === n",
        arg=len(cells) - 1,
    )

    page.click("[data-test=approve]")
    page.click(".el-message-box button:has-text('审批')")
    page.wait_for_selector("[data-test=crosswalk] .el-table__row")
    db.session.expire_all()
    after = set(
        db.session.scalars(
            select(Area.code).where(Area.parent_code == community, Area.valid_to.is_(None))
        )
    )
    crosswalk = page.inner_text("[data-test=crosswalk]")
    assert after != before and len(after) >= len(cells) - 1
    assert all(code in crosswalk for code in after - before)
