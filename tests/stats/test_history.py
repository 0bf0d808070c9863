"""Statistics as of a past day and monthly series: from dated residences and the cells valid
on the day, across a move and across a redrawn grid cell."""

import calendar
from datetime import date

from sqlalchemy import text

from gridgov.extensions import db
from gridgov.stats import service, store
from tests import factories as f
from tests.stats import helpers as h
from tests.stats.test_statistics import COMMUNITY, SOUTH_CELL, stats, today

NORTH_CELL = f.OWN_CELL
WEST_HALF, EAST_HALF = COMMUNITY + "003", COMMUNITY + "004"
REDRAWN = "2026-06-01"


def redraw_north_cell() -> None:
    """Split the north cell into a west and an east half from REDRAWN, and reassign its houses
    and people by point in polygon, as an approved redraw does."""
    db.session.execute(text("SET LOCAL gridgov.effective_date = '2026-06-01'"))
    db.session.execute(
        text("UPDATE areas SET valid_to = :on WHERE code = :old"),
        {"on": REDRAWN, "old": NORTH_CELL},
    )
    for code, (west, east) in ((WEST_HALF, (114.00, 114.005)), (EAST_HALF, (114.005, 114.01))):
        db.session.execute(
            text(
                "INSERT INTO areas (code, name, level, parent_code, grid_type, geom, valid_from) "
                "VALUES (:code, :code, 'grid', :parent, 'general', "
                "ST_Multi(ST_MakeEnvelope(:w, 22.51, :e, 22.52, 4326)), :on)"
            ),
            {"code": code, "parent": COMMUNITY, "w": west, "e": east, "on": REDRAWN},
        )
    db.session.execute(
        text(
            "UPDATE houses h SET grid_code = a.code FROM areas a WHERE h.grid_code = :old "
            "AND a.code IN (:west, :east) AND ST_Covers(a.geom, h.geom)"
        ),
        {"old": NORTH_CELL, "west": WEST_HALF, "east": EAST_HALF},
    )
    db.session.execute(
        text(
            "UPDATE persons p SET grid_code = h.grid_code FROM houses h "
            "WHERE p.house_id = h.id AND p.grid_code <> h.grid_code"
        )
    )
    db.session.commit()


def populations(client, headers, as_of=None) -> dict:
    params = {"by": "grid", "measures": "population,houses"}
    if as_of:
        params["as_of"] = as_of
    body = stats(client, headers, COMMUNITY, **params)
    return {c["code"]: c["values"]["population"] for c in body["children"]}


def test_as_of_counts_people_where_they_lived_in_the_cells_valid_that_day(client, cli):
    f.make_district()
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    north = h.add_house(client, staff, NORTH_CELL, "101")  # in the west half, see cell_point
    south = h.add_house(client, staff, SOUTH_CELL, "102")
    h.add_person(client, staff, 1, north, moved_in="2026-01-15")
    h.add_person(client, staff, 2, north, moved_in="2026-01-15")
    moved = h.move(client, staff, 2, south, "2026-08-01")
    assert moved["outcome"] == "updated"
    redraw_north_cell()

    assert populations(client, staff, "2025-12-31") == {NORTH_CELL: 0, SOUTH_CELL: 0}
    assert populations(client, staff, "2026-03-01") == {NORTH_CELL: 2, SOUTH_CELL: 0}
    assert populations(client, staff, "2026-07-01") == {
        SOUTH_CELL: 0,
        WEST_HALF: 2,
        EAST_HALF: 0,
    }
    assert populations(client, staff, "2026-09-01") == {
        SOUTH_CELL: 1,
        WEST_HALF: 1,
        EAST_HALF: 0,
    }
    assert populations(client, staff) == {SOUTH_CELL: 1, WEST_HALF: 1, EAST_HALF: 0}
    assert service.verify(f.DISTRICT, today()) == []

    earlier = stats(client, staff, COMMUNITY, as_of="2026-03-01", measures="houses,vacant")
    assert earlier["total"] == {"houses": 2, "vacant": 1}

    response = client.get(
        f"/api/v1/stats/{COMMUNITY}/series",
        query_string={"from": "2025-12", "to": "2026-09"},
        headers=staff,
    )
    assert response.status_code == 200
    points = response.json["points"]
    assert [p["month"] for p in points][:2] == ["2025-12", "2026-01"]
    assert [p["population"] for p in points] == [0] + [2] * 9
    assert [p["floating"] for p in points] == [0] + [2] * 9
    assert points[-1]["as_of"] == "2026-09-30"
    south_series = client.get(
        f"/api/v1/stats/{SOUTH_CELL}/series",
        query_string={"from": "2026-06", "to": "2026-09"},
        headers=staff,
    ).json["points"]
    assert [p["population"] for p in south_series] == [0, 0, 1, 1]
    # Across the redraw the people leave the old cell and enter the new one on its date.
    for cell, expected in ((NORTH_CELL, [2, 2, 0, 0, 0, 0]), (WEST_HALF, [0, 0, 2, 2, 1, 1])):
        cell_series = client.get(
            f"/api/v1/stats/{cell}/series",
            query_string={"from": "2026-04", "to": "2026-09"},
            headers=staff,
        ).json["points"]
        assert [p["population"] for p in cell_series] == expected, cell
    # Once the month ends are counted, the series reads them and says the same.
    assert cli.invoke(args=["stats", "snapshot", "--months", "12"]).exit_code == 0
    counted = client.get(
        f"/api/v1/stats/{COMMUNITY}/series",
        query_string={"from": "2025-12", "to": "2026-09"},
        headers=staff,
    ).json["points"]
    assert counted == points


def test_arrivals_and_departures_count_moves_across_the_area_edge_only(client):
    f.make_district()
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    north = h.add_house(client, staff, NORTH_CELL, "101")
    south = h.add_house(client, staff, SOUTH_CELL, "102")
    h.add_person(client, staff, 1, north, moved_in="2026-10-05")
    h.move(client, staff, 1, south, "2026-10-20")
    period = {"from": "2026-10-01", "to": "2026-10-31", "measures": "arrivals,departures"}
    by_grid = stats(client, staff, COMMUNITY, by="grid", **period)
    flows = {c["code"]: c["values"] for c in by_grid["children"]}
    assert flows[NORTH_CELL] == {"arrivals": 1, "departures": 1}
    assert flows[SOUTH_CELL] == {"arrivals": 1, "departures": 0}
    # Seen from the community, the move inside it is neither an arrival nor a departure.
    assert by_grid["total"] == {"arrivals": 1, "departures": 0}
    assert stats(client, staff, COMMUNITY, **period)["total"] == by_grid["total"]


def test_a_series_rejects_a_range_too_long_or_in_the_future(client, worker):
    cases = [
        ({"from": "2020-01", "to": "2026-01"}, "to"),
        ({"from": "2026-01", "to": f"{date.today().year + 1}-01"}, "to"),
        ({"from": "2026-05", "to": "2026-01"}, "from"),
        ({"from": "2026-13", "to": "2026-01"}, "from"),
        ({"to": "2026-01"}, "from"),
    ]
    for params, field in cases:
        response = client.get(
            f"/api/v1/stats/{f.OWN_CELL}/series", query_string=params, headers=worker
        )
        assert response.status_code == 422, (params, response.json)
        assert field in [e["field"] for e in response.json["errors"]]


def test_a_kept_month_end_takes_a_change_dated_before_it_at_write_time(client):
    f.make_district()
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    north = h.add_house(client, staff, NORTH_CELL, "101")
    south = h.add_house(client, staff, SOUTH_CELL, "102")
    h.add_person(client, staff, 1, north, moved_in="2026-01-15")
    assert populations(client, staff, "2026-02-28") == {NORTH_CELL: 1, SOUTH_CELL: 0}
    kept = text("SELECT count(*) FROM stat_snapshot_days WHERE day = '2026-02-28' AND ready")
    assert db.session.scalar(kept) == 1
    stored = text(
        "SELECT area_code, n FROM stat_snapshots WHERE day = '2026-02-28' AND level = 'grid' "
        "AND measure = 'kind' AND n <> 0 ORDER BY 1"
    )
    assert db.session.execute(stored).all() == [(NORTH_CELL, 1)]
    # A move today changes nothing before today.
    h.move(client, staff, 1, south)
    assert db.session.execute(stored).all() == [(NORTH_CELL, 1)]
    # A late registration that moved in before the day is added to the kept day as it commits,
    # before anyone asks: the day stays kept, nothing is counted again.
    h.add_person(client, staff, 2, south, moved_in="2026-02-01")
    assert db.session.scalar(kept) == 1
    assert db.session.execute(stored).all() == [(NORTH_CELL, 1), (SOUTH_CELL, 1)]
    assert populations(client, staff, "2026-02-28") == {NORTH_CELL: 1, SOUTH_CELL: 1}
    # A day between month ends is answered from the nearest kept day of its month (every third
    # day from the 1st, or the last), kept from the next one when first asked for, and the
    # moves between; the day itself is not kept.
    assert populations(client, staff, "2026-02-11") == {NORTH_CELL: 1, SOUTH_CELL: 1}
    assert populations(client, staff, "2026-01-20") == {NORTH_CELL: 1, SOUTH_CELL: 0}
    days = db.session.scalars(text("SELECT day FROM stat_snapshot_days ORDER BY day")).all()
    assert [d.isoformat() for d in days] == ["2026-01-19", "2026-02-10", "2026-02-28"]


def test_a_past_day_counts_age_bands_by_birth_month(client, worker):
    """Each pair straddles a band's first age on 2026-03-15: born on the last day of March N
    years before is N by birth month (N - 1 by day); born on 1 April is N - 1 (N by year).
    On 2026-02-28, a counted month end, all of them are a year short of the March birthdays."""
    house = h.add_house(client, worker, f.OWN_CELL, "101")
    births = []
    for age in (6, 18, 60, 80):
        births += [date(2026 - age, 3, 31), date(2026 - age, 4, 1)]
    for seq, birth in enumerate(births, start=1):
        number = f.id_number(seq, f"{birth:%Y%m%d}")
        h.add_person(client, worker, seq, house, id_number=number, moved_in="2026-01-15")

    def bands(as_of):
        body = stats(client, worker, f.OWN_CELL, as_of=as_of, measures="age_bands")
        return body["total"]["age_bands"]

    assert bands("2026-03-15") == {"0-5": 1, "6-17": 2, "18-59": 2, "60-79": 2, "80+": 1}
    assert bands("2026-02-28") == {"0-5": 2, "6-17": 2, "18-59": 2, "60-79": 2, "80+": 0}


def test_a_new_month_folds_the_age_bands_again(client, worker):
    house = h.add_house(client, worker, f.OWN_CELL, "101")
    now = today()
    # Six years old this month by birth month (on its last day: still five by the day).
    five = date(now.year - 6, now.month, calendar.monthrange(now.year - 6, now.month)[1])
    h.add_person(client, worker, 1, house, id_number=f.id_number(1, f"{five:%Y%m%d}"))
    # As if the bands were last folded a year ago: the person was five then.
    store.fold(date(now.year - 1, now.month, 1))
    bands = stats(client, worker, f.OWN_CELL, measures="age_bands")["total"]["age_bands"]
    assert (bands["0-5"], bands["6-17"]) == (0, 1)


def test_statistics_before_the_areas_recorded_start_name_every_area(client):
    f.make_district()  # its areas are in force from today
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    house = h.add_house(client, staff, SOUTH_CELL, "101")
    h.add_person(client, staff, 1, house, moved_in="2026-01-10")
    for level, code in (("grid", COMMUNITY), ("community", "440303001000")):
        body = stats(client, staff, code, by=level, as_of="2026-02-28", measures="population")
        named = {c["code"]: c["name"] for c in body["children"]}
        assert named and None not in named.values(), named
        now = stats(client, staff, code, by=level, measures="population")
        assert named.items() <= {c["code"]: c["name"] for c in now["children"]}.items()
