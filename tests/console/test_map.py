"""地图: the map draws our own layers (rendered features, not only a canvas) and the choropleth
legend is made of the API's numbers."""

import pytest
from sqlalchemy import select

from gridgov.extensions import db
from gridgov.hierarchy.models import Area
from gridgov.houses.models import House
from tests.console.conftest import DISTRICT, log_in

RENDERED = "(layer) => window.gridgovMap.queryRenderedFeatures({layers: [layer]})"


def wait_drawn(page, layer: str):
    page.wait_for_function(
        f"window.gridgovMap && window.gridgovMap.loaded() && ({RENDERED})('{layer}').length > 0"
    )


def rendered(page, layer: str, prop: str) -> set:
    return set(page.evaluate(f"({RENDERED})('{layer}').map(f => f.properties['{prop}'])"))


def test_the_map_draws_the_districts_communities_and_grid_cells(page, district):
    log_in(page, district, "district")
    wait_drawn(page, "choropleth")
    wait_drawn(page, "grid-line")
    communities = set(
        db.session.scalars(
            select(Area.code).where(Area.level == "community", Area.valid_to.is_(None))
        )
    )
    cells = set(
        db.session.scalars(select(Area.code).where(Area.level == "grid", Area.valid_to.is_(None)))
    )
    assert rendered(page, "choropleth", "code") == communities  # all 109, fitted to the view
    drawn_cells = rendered(page, "grid-line", "code")
    assert len(drawn_cells) > 400 and drawn_cells <= cells


@pytest.mark.parametrize("measure, label", [("population", "实有人口"), ("floating", "流动人口")])
def test_the_choropleth_legend_and_colours_match_the_api_numbers(page, district, measure, label):
    status, fc = district["server"].request(
        "GET", f"/api/v1/stats/{DISTRICT}/features?by=community", token=district_token(district)
    )
    assert status == 200
    api = {feat["properties"]["code"]: feat["properties"][measure] for feat in fc["features"]}
    log_in(page, district, "district")
    wait_drawn(page, "choropleth")
    if measure != "population":
        page.click("[data-test=measure]")
        page.click(f".el-select-dropdown__item:has-text('{label}')")
    page.wait_for_selector(f"[data-test=legend]:has-text('{label}')")
    page.wait_for_selector(f"[data-test=map][data-drawn='{measure}']")
    rows = page.eval_on_selector_all(
        "[data-test=legend] .legend-row[data-count]",
        "rows => rows.map(r => [+r.dataset.from, +r.dataset.to, +r.dataset.count,"
        " r.dataset.colour])",
    )
    assert sum(count for _, _, count, _ in rows) == len(api) == 109
    assert rows[0][0] == min(api.values()) and rows[-1][1] == max(api.values())
    for low, high, count, _ in rows:
        assert count == sum(1 for v in api.values() if low <= v <= high)
    # Each drawn community carries the API's value and the colour of the class it falls in.
    drawn = page.evaluate(
        f"({RENDERED})('choropleth')"
        f".map(f => [f.properties.code, f.properties['{measure}'], f.properties.__colour])"
    )
    assert {code: value for code, value, _ in drawn} == api
    for code, value, colour in drawn:
        [expected] = [c for low, high, _, c in rows if low <= value <= high]
        assert colour == expected, code


def district_token(district) -> str:
    return district["staff"]["Authorization"].split()[1]


def test_clicking_a_community_shows_its_statistics_in_the_side_panel(page, district):
    log_in(page, district, "district")
    wait_drawn(page, "choropleth")
    box = page.locator("[data-test=map]").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    panel = page.wait_for_selector("[data-test=area-stats] h3")
    code = page.inner_text("[data-test=area-stats] .muted").split()[0]
    status, stats = district["server"].request(
        "GET", f"/api/v1/stats/{code}", token=district_token(district)
    )
    assert status == 200 and panel.inner_text() == stats["area"]["name"]
    shown = page.inner_text("[data-test=area-stats] [data-measure=population]")
    assert int(shown) == stats["total"]["population"]


def test_a_typed_coordinate_is_located_in_its_grid_cell(page, district):
    log_in(page, district, "district")
    page.fill("[data-test=locate-form] input[name=lon]", "114.118")
    page.fill("[data-test=locate-form] input[name=lat]", "22.548")
    page.click("[data-test=locate-form] button[type=submit]")
    located = page.wait_for_selector("[data-test=located]").inner_text()
    status, answer = district["server"].request(
        "GET", "/api/v1/locate?lon=114.118&lat=22.548", token=district_token(district)
    )
    assert status == 200
    assert answer["grid"]["code"] in located and answer["street"]["name"] in located


def test_an_overcrowded_rental_is_drawn_red_from_the_servers_flag(page, district):
    code, lon, lat = db.session.execute(
        select(House.code, House.geom.ST_X(), House.geom.ST_Y())
        .where(House.rented, House.occupants > 6, House.deleted_at.is_(None))
        .order_by(House.code)
        .limit(1)
    ).one()
    log_in(page, district, "district")
    wait_drawn(page, "choropleth")
    page.evaluate(f"window.gridgovMap.jumpTo({{center: [{lon}, {lat}], zoom: 17}})")
    wait_drawn(page, "houses")
    page.wait_for_function(f"({RENDERED})('houses').some(f => f.properties.code === '{code}')")
    drawn = page.evaluate(
        f"({RENDERED})('houses').map(f => [f.properties.code, f.properties.overcrowded,"
        " f.properties.rented, f.properties.occupants])"
    )
    flags = {c: (crowded, rented, n) for c, crowded, rented, n in drawn}
    assert flags[code][0] is True
    assert all(crowded == (rented and n > 6) for crowded, rented, n in flags.values())
    assert "群租" in page.inner_text("[data-test=legend]")
