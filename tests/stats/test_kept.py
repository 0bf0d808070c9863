"""Kept month ends stay equal to a recount through every kind of change dated before them, days
between them are answered from the nearest one, and no request counts the past in bulk."""

import threading
import time
from datetime import date

from sqlalchemy import text

from gridgov.extensions import db
from gridgov.stats import service
from tests import factories as f
from tests.stats import helpers as h
from tests.stats.test_history import NORTH_CELL, populations, redraw_north_cell
from tests.stats.test_statistics import COMMUNITY, SOUTH_CELL, stats, today

MONTH_ENDS = ("2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-07-31")
BETWEEN = ("2026-02-11", "2026-03-14", "2026-04-12", "2026-06-20", "2026-07-01")


def kept_days() -> list[tuple[str, object]]:
    rows = db.session.execute(text("SELECT day, built_at FROM stat_snapshot_days WHERE ready"))
    return sorted((day.isoformat(), built) for day, built in rows)


def sql(statement: str, **params) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()


def test_kept_month_ends_equal_a_recount_after_every_kind_of_backdated_change(client, cli):
    f.make_district()
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    north = h.add_house(client, staff, NORTH_CELL, "101")
    south = h.add_house(client, staff, SOUTH_CELL, "102", rented=True)
    empty = h.add_house(client, staff, SOUTH_CELL, "103")
    h.add_person(client, staff, 1, north, moved_in="2026-01-10")
    h.add_person(client, staff, 2, north, moved_in="2026-01-20")
    h.add_person(client, staff, 3, south, moved_in="2026-02-05", kind="resident")
    for day in MONTH_ENDS:
        populations(client, staff, day)  # keeps each month end once
    before = kept_days()
    assert [day for day, _ in before] == list(MONTH_ENDS)

    # A late registration, a backdated move, a move today: residences begun and ended.
    h.add_person(client, staff, 4, south, moved_in="2026-03-01")
    assert h.move(client, staff, 2, south, "2026-04-01")["outcome"] == "updated"
    h.move(client, staff, 1, south)
    # What the recount reads of a person and a house is not dated: kind, origin, birth month
    # and rented apply to every kept day the person or house was there.
    sql(
        "UPDATE persons SET kind = 'floating', origin_code = '430100', inflow_reason = '02', "
        "birth_date = '2020-03-01' WHERE kind = 'resident'"
    )
    sql("UPDATE houses SET rented = NOT rented WHERE code IN (:a, :b)", a=north, b=south)
    # A house deleted as of a past day, a house added today (it stood before, as its first cell
    # holds for all the time before), a record struck out, a cell redrawn from a past date.
    sql("UPDATE houses SET deleted_at = '2026-03-20 10:00+08' WHERE code = :c", c=empty)
    h.add_house(client, staff, NORTH_CELL, "104")
    sql(
        "WITH gone AS (DELETE FROM residences WHERE moved_in = '2026-03-01' RETURNING person_id) "
        "UPDATE persons p SET house_id = NULL, grid_code = NULL FROM gone "
        "WHERE p.id = gone.person_id"
    )
    redraw_north_cell()

    # Every kept day took each change as it committed: none was counted again.
    assert kept_days() == before
    days = tuple(map(date.fromisoformat, MONTH_ENDS + BETWEEN))
    assert service.verify(f.DISTRICT, today(), days) == []
    # The days between were answered from the nearest kept day of their month, kept now.
    nearest = ("2026-02-10", "2026-03-13", "2026-04-13", "2026-06-19", "2026-07-01")
    assert [day for day, _ in kept_days()] == sorted([*MONTH_ENDS, *nearest])
    assert set(kept_days()) >= set(before)
    result = cli.invoke(args=["stats", "verify", f.DISTRICT, "--kept", "--as-of", "2026-03-14"])
    assert result.exit_code == 0, result.output
    assert "2026-03-14" in result.output and "2026-07-31" in result.output


def test_verify_finds_a_kept_day_that_drifted_from_the_recount(client, cli):
    f.make_district()
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    house = h.add_house(client, staff, SOUTH_CELL, "101")
    h.add_person(client, staff, 1, house, moved_in="2026-01-10")
    assert populations(client, staff, "2026-02-28")[SOUTH_CELL] == 1
    sql(
        "UPDATE stat_snapshots SET n = n + 1 WHERE day = '2026-02-28' AND level = 'grid' "
        "AND area_code = :cell AND measure = 'kind'",
        cell=SOUTH_CELL,
    )
    result = cli.invoke(args=["stats", "verify", f.DISTRICT, "--kept"])
    assert result.exit_code == 1
    assert f"{SOUTH_CELL} kind:floating live 2 recount 1 on 2026-02-28" in result.output
    # A day between, counted from the drifted month end, is wrong the same way and found too.
    between = service.verify(COMMUNITY, today(), (date(2026, 2, 20),))
    assert [(d["day"], d["area"], d["live"], d["recount"]) for d in between] == [
        ("2026-02-20", SOUTH_CELL, 2, 1)
    ]


def test_a_month_end_too_far_back_for_a_request_is_left_to_the_job(client, cli, app):
    f.make_district()
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    house = h.add_house(client, staff, SOUTH_CELL, "101")
    h.add_person(client, staff, 1, house, moved_in="2026-01-10")
    h.add_person(client, staff, 2, house, moved_in="2026-05-10")
    app.config["GRIDGOV_STATS_KEEP_CHANGES"] = 1  # a move since: too many for a request
    response = client.get(
        f"/api/v1/stats/{COMMUNITY}", query_string={"as_of": "2026-02-28"}, headers=staff
    )
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "not_counted_yet"
    assert int(response.headers["Retry-After"]) > 0
    series = client.get(
        f"/api/v1/stats/{COMMUNITY}/series",
        query_string={"from": "2026-01", "to": "2026-03"},
        headers=staff,
    )
    assert series.status_code == 503 and series.json["code"] == "not_counted_yet"
    # The job keeps what was asked for; the request then answers from it.
    result = cli.invoke(args=["stats", "snapshot", "--months", "0"])
    assert result.exit_code == 0, result.output
    assert "2026-02-28" in result.output
    assert populations(client, staff, "2026-02-28") == {NORTH_CELL: 0, SOUTH_CELL: 1}
    # A month end within reach is kept by the request itself.
    app.config["GRIDGOV_STATS_KEEP_CHANGES"] = 20_000
    assert populations(client, staff, "2026-06-30") == {NORTH_CELL: 0, SOUTH_CELL: 2}
    assert stats(client, staff, COMMUNITY, as_of="2026-06-30")["total"]["population"] == 2


def test_a_month_end_kept_from_the_next_one_moves_those_whose_age_band_differs(client):
    f.make_district()
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    house = h.add_house(client, staff, SOUTH_CELL, "101")
    six_in_march = f.id_number(1, "20200315")
    h.add_person(client, staff, 1, house, moved_in="2025-12-01", id_number=six_in_march)

    def bands(day):
        body = stats(client, staff, COMMUNITY, as_of=day, measures="age_bands")
        return {band: n for band, n in body["total"]["age_bands"].items() if n}

    assert bands("2026-03-31") == {"6-17": 1}  # kept first, from the live counts
    assert bands("2026-02-28") == {"0-5": 1}  # kept from March's end
    assert bands("2026-02-10") == {"0-5": 1}
    days = (date(2026, 2, 10), date(2026, 2, 28), date(2026, 3, 31))
    assert service.verify(f.DISTRICT, today(), days) == []


def test_a_day_between_kept_days_is_counted_from_the_nearest_and_a_backdated_change_reaches_each(
    client,
):
    f.make_district()
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    north = h.add_house(client, staff, NORTH_CELL, "101")
    south = h.add_house(client, staff, SOUTH_CELL, "102")
    h.add_person(client, staff, 1, north, moved_in="2026-03-03")
    h.add_person(client, staff, 2, south, moved_in="2026-03-12")
    # Each day between is counted from the nearest kept day of its month, kept when asked.
    asked = {"2026-03-02": "2026-03-01", "2026-03-11": "2026-03-10", "2026-03-14": "2026-03-13"}
    for day in asked:
        populations(client, staff, day)
    assert [day for day, _ in kept_days()] == sorted(asked.values())
    assert populations(client, staff, "2026-03-11") == {NORTH_CELL: 1, SOUTH_CELL: 0}
    assert populations(client, staff, "2026-03-14") == {NORTH_CELL: 1, SOUTH_CELL: 1}
    before = kept_days()

    # A late registration dated before all three kept days, and a move back-dated across two:
    # each kept day takes them as they commit, none is counted again.
    h.add_person(client, staff, 3, south, moved_in="2026-02-20")
    assert h.move(client, staff, 1, south, "2026-03-05")["outcome"] == "updated"
    assert kept_days() == before
    assert populations(client, staff, "2026-03-02") == {NORTH_CELL: 0, SOUTH_CELL: 1}
    assert populations(client, staff, "2026-03-11") == {NORTH_CELL: 0, SOUTH_CELL: 2}
    assert populations(client, staff, "2026-03-14") == {NORTH_CELL: 0, SOUTH_CELL: 3}
    stored = text(
        "SELECT day::text, n FROM stat_snapshots WHERE level = 'grid' AND area_code = :cell "
        "AND measure = 'kind' AND n <> 0 ORDER BY day"
    )
    assert db.session.execute(stored, {"cell": SOUTH_CELL}).all() == [
        ("2026-03-01", 1),
        ("2026-03-10", 2),
        ("2026-03-13", 3),
    ]
    days = tuple(date(2026, 3, d) for d in range(1, 17))
    assert service.verify(f.DISTRICT, today(), days) == []


def test_changes_reaching_back_to_kept_days_apply_one_transaction_after_another(client):
    """Two at once used to lock the kept days' rows in hash order and deadlock (migration 0019)."""
    f.make_district()
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    house = h.add_house(client, staff, NORTH_CELL, "101")
    h.add_person(client, staff, 1, house, moved_in="2026-01-10")
    h.add_person(client, staff, 2, house, moved_in="2026-01-20")
    populations(client, staff, "2026-02-28")  # keeps that month end
    first_id, second_id = db.session.scalars(text("SELECT id FROM persons ORDER BY id")).all()
    backdate = text("UPDATE residences SET moved_in = moved_in - 5 WHERE person_id = :p")
    first, second, watcher = (db.engine.connect() for _ in range(3))
    waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    try:
        with first.begin():
            first.execute(backdate, {"p": first_id})

            def other():
                with second.begin():
                    second.execute(backdate, {"p": second_id})

            thread = threading.Thread(target=other)
            thread.start()
            for _ in range(100):  # the other row, yet it waits for this transaction
                if watcher.execute(waiting).scalar_one():
                    break
                time.sleep(0.05)
            assert watcher.execute(waiting).scalar_one() == 1
            assert thread.is_alive()
        thread.join(10)
        assert not thread.is_alive()
    finally:
        for conn in (first, second, watcher):
            conn.close()
    moved = db.session.scalars(text("SELECT moved_in FROM residences ORDER BY person_id"))
    assert list(moved) == [date(2026, 1, 5), date(2026, 1, 15)]
    assert service.verify(f.DISTRICT, today(), (date(2026, 2, 28),)) == []
