"""Statistics per area: fresh after uploads, equal to a recount at every level, scoped."""

import calendar
import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import event, select, text

from gridgov import clock, create_app
from gridgov.extensions import db
from gridgov.hierarchy.models import prefix_of
from gridgov.people.models import Person
from gridgov.stats import service
from tests import factories as f
from tests.stats import helpers as h

STREET = "440303001000"
COMMUNITY = "440303001001"
SOUTH_CELL = "440303001001002"


def today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def stats(client, headers, code, **params):
    response = client.get(f"/api/v1/stats/{code}", query_string=params, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_a_committed_upload_is_counted_by_the_next_query(client, worker):
    staff = f.auth_as(client, "district_staff", [f.DISTRICT])
    before = stats(client, staff, f.DISTRICT, measures="population,floating,houses")["total"]
    assert before == {"population": 0, "floating": 0, "houses": 0}
    house = h.add_house(client, worker, f.OWN_CELL, "101", rented=True)
    h.add_person(client, worker, 1, house)
    h.add_person(client, worker, 2, house, kind="resident")
    after = stats(client, staff, f.DISTRICT, by="street")
    assert after["total"]["population"] == 2
    west, east = after["children"]
    assert (west["code"], west["values"]["floating"], west["values"]["residents"]) == (
        STREET,
        1,
        1,
    )
    assert (west["values"]["rentals"], west["values"]["tenants"]) == (1, 2)
    assert west["values"]["people_per_rental"] == 2.0
    assert west["values"]["floating_by_province"] == {"43": 1}
    assert west["values"]["floating_by_reason"] == {"01": 1}
    assert east["values"]["population"] == 0 and east["values"]["people_per_rental"] is None
    # Arrivals and departures come when a period is named (they cost a pass over its moves).
    assert "arrivals" not in west["values"]
    period = stats(client, staff, f.DISTRICT, **{"from": "2026-11-01"})["total"]
    assert (period["arrivals"], period["departures"]) == (2, 0)


def test_vacant_houses_households_and_overcrowded_rentals_follow_the_occupants(client, worker, app):
    above = app.config["GRIDGOV_CROWDED_ABOVE"]
    assert above == 6  # the default: more than six people in one rental house is 群租
    h.add_house(client, worker, f.OWN_CELL, "101")  # stays empty
    full = h.add_house(client, worker, f.OWN_CELL, "102", rented=True)
    crowded = h.add_house(client, worker, f.OWN_CELL, "103", rented=True)
    for seq in range(1, 7):  # exactly six: at the limit, not above it
        h.add_person(client, worker, seq, full)
    for seq in range(11, 18):  # seven: one above
        h.add_person(client, worker, seq, crowded)
    values = stats(client, worker, f.OWN_CELL)["total"]
    assert (values["houses"], values["vacant"], values["households"]) == (3, 1, 2)
    assert (values["rentals"], values["tenants"]) == (2, 13)
    assert values["overcrowded_rentals"] == 1


def born(months_ago: int, last_day: bool) -> date:
    """The first or last day of the calendar month `months_ago` months before this one."""
    now = today()
    year, month = divmod(now.year * 12 + now.month - 1 - months_ago, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1] if last_day else 1)


def test_age_bands_count_completed_years_by_birth_month(client, worker):
    """On either side of each band's first age: born in this calendar month N years ago (on its
    last day, so counting by day would still say N - 1, unless today is that last day) is N;
    born in the next month is N - 1 (though counting by year would say N, unless it is
    December)."""
    house = h.add_house(client, worker, f.OWN_CELL, "101")
    people = [(born(0, False), "0-5")]
    for age, older, younger in (
        (6, "6-17", "0-5"),
        (18, "18-59", "6-17"),
        (60, "60-79", "18-59"),
        (80, "80+", "60-79"),
    ):
        people += [(born(12 * age, True), older), (born(12 * age - 1, False), younger)]
    for seq, (birth, _) in enumerate(people, start=1):
        h.add_person(client, worker, seq, house, id_number=f.id_number(seq, f"{birth:%Y%m%d}"))
    bands = stats(client, worker, f.OWN_CELL, measures="age_bands")["total"]["age_bands"]
    assert bands == {"0-5": 2, "6-17": 2, "18-59": 2, "60-79": 2, "80+": 1}, people


def test_todays_counts_of_the_children_with_their_names_are_one_statement_after_the_area(
    client, worker, cli
):
    house = h.add_house(client, worker, f.OWN_CELL, "101", rented=True)
    h.add_person(client, worker, 1, house)
    h.add_person(client, worker, 2, house, kind="resident")
    assert cli.invoke(args=["stats", "fold"]).exit_code == 0
    # Pending on top of the folded rows: one that cancels a folded key, one that adds to one.
    gone = f.envelope("person", {"id_number": f.id_number(2)}, op="delete", base_version=1)
    assert f.upload(client, worker, gone)[0]["outcome"] == "deleted"
    h.add_person(client, worker, 3, house)
    street = f.auth_as(client, "street_staff", [STREET])
    stats(client, street, STREET, by="community")  # the account's scope is cached from here
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    # One snapshot for the folded rows and the pending deltas (read apart, a fold committing
    # between them would drop its deltas from both), and one round trip.
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        body = stats(client, street, STREET, by="community")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(statements) == 2, statements
    for part in ("stat_area_counts", "stat_pending", "FROM areas", "stat_bands WHERE month >="):
        assert part in statements[1], part
    child = {c["code"]: c for c in body["children"]}[COMMUNITY]
    assert child["name"] and child["values"]["population"] == 2
    values = child["values"]
    assert (values["residents"], values["floating"], values["tenants"]) == (0, 2, 2)
    for name, n in h.python_recount(prefix_of(COMMUNITY, "community"), today()).items():
        measure, _, band = name.partition(".")
        got = child["values"][measure]
        assert (got.get(band, 0) if band else got) == n, name


def pending() -> int:
    return db.session.scalar(text("SELECT count(*) FROM stat_pending"))


def test_a_query_folds_the_pending_counts_only_when_there_are_more_than_the_limit(
    client, worker, app, monkeypatch
):
    house = h.add_house(client, worker, f.OWN_CELL, "101", rented=True)
    h.add_person(client, worker, 1, house)
    h.add_person(client, worker, 2, house, kind="resident")
    waiting = pending()
    assert waiting > 2
    monkeypatch.setitem(app.config, "GRIDGOV_STATS_FOLD_ROWS", waiting)
    first = stats(client, worker, f.OWN_CELL)["total"]
    assert pending() == waiting  # as many as the limit, not more: counted without folding
    monkeypatch.setitem(app.config, "GRIDGOV_STATS_FOLD_ROWS", waiting - 1)
    second = stats(client, worker, f.OWN_CELL)["total"]
    assert pending() == 0
    assert db.session.scalar(text("SELECT count(*) FROM stat_totals")) > 0
    assert second == first and (first["population"], first["tenants"]) == (2, 2)


def test_flask_stats_fold_folds_every_pending_count(client, worker, cli):
    house = h.add_house(client, worker, f.OWN_CELL, "101")
    h.add_person(client, worker, 1, house)
    before = stats(client, worker, f.OWN_CELL)["total"]
    waiting = pending()
    assert waiting > 0
    result = cli.invoke(args=["stats", "fold"])
    assert result.exit_code == 0 and result.output == f"folded {waiting} pending rows\n"
    assert pending() == 0
    assert stats(client, worker, f.OWN_CELL)["total"] == before


def test_today_is_the_day_in_the_configured_timezone(client, worker, monkeypatch):
    """Kiritimati (UTC+14) is always a day or two ahead of UTC-12: its today is their future."""
    monkeypatch.setattr(clock, "_zone", clock._zone)  # the district's zone, restored after

    def district_in(zone: str) -> None:  # as a process started with GRIDGOV_TIMEZONE=zone
        other = create_app({"TESTING": True, "GRIDGOV_TIMEZONE": zone})
        other.extensions["principal_cache"].stop()
        with other.app_context():
            db.engine.dispose()

    ahead = datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
    district_in("Pacific/Kiritimati")
    assert stats(client, worker, f.OWN_CELL, as_of=ahead)["total"]["population"] == 0
    district_in("Etc/GMT+12")
    response = client.get(
        f"/api/v1/stats/{f.OWN_CELL}", query_string={"as_of": ahead}, headers=worker
    )
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "as_of"


def test_every_measure_at_every_level_equals_a_recount_after_random_uploads_moves_and_deletes(
    client, app, cli, monkeypatch
):
    f.make_district()
    staff = f.auth_as(client, "district_staff", [f.DISTRICT])
    rng = random.Random(20261122)
    cells = [c + s for c in f.COMMUNITIES for s in ("001", "002")]
    houses = [
        h.add_house(client, staff, cell, f"{100 + n}", rented=n % 3 == 0)
        for n, cell in enumerate(cells * 3)
    ]
    people, seen = {}, set()
    for batch in range(3):
        records = []
        while len(records) < 400:
            born = date(rng.randint(1935, 2025), rng.randint(1, 12), rng.randint(1, 28))
            number = f.id_number(rng.randint(0, 999), f"{born:%Y%m%d}")
            if number in seen:
                continue
            seen.add(number)
            kind = rng.choice(["floating", "resident"])
            data = f.person_data(1, rng.choice(houses), kind=kind, id_number=number)
            if kind == "floating":
                data["floating"]["origin_code"] = rng.choice(["430302", "510104", "350102"])
                data["floating"]["inflow_reason"] = rng.choice(["01", "02", "03"])
            records.append(f.envelope("person", data, position=None))
        for result in f.upload(client, staff, *records):
            assert result["outcome"] == "created", result
            people[result["key"]] = result["version"]
        if batch == 1:
            # Fold on the next query, so later counts add to folded totals.
            with monkeypatch.context() as m:
                m.setitem(app.config, "GRIDGOV_STATS_FOLD_ROWS", 1)
                stats(client, staff, f.DISTRICT)
            assert db.session.scalar(text("SELECT count(*) FROM stat_pending")) == 0
            assert db.session.scalar(text("SELECT count(*) FROM stat_totals")) > 0
    numbers = {}
    vault = app.extensions["vault"]
    for person in db.session.scalars(select(Person)):
        numbers[str(person.id)] = vault.open(person.id_sealed, "person.id_number")
    keys = sorted(people)
    rng.shuffle(keys)
    moves = [
        f.envelope(
            "person",
            {"id_number": numbers[k], "house_code": rng.choice(houses)},
            op="move",
            base_version=people[k],
            position=None,
        )
        for k in keys[:500]
    ]
    for result in f.upload(client, staff, *moves):
        assert result["outcome"] in ("updated", "unchanged"), result
        people[result["key"]] = result["version"]
    deletes = [
        f.envelope("person", {"id_number": numbers[k]}, op="delete", base_version=people[k])
        for k in keys[:150] + keys[500:650]
    ]
    outcomes = [r["outcome"] for r in f.upload(client, staff, *deletes)]
    assert set(outcomes) == {"deleted"}

    now = today()
    for code, by in ((f.DISTRICT, "street"), (f.DISTRICT, "community"), (STREET, "grid")):
        body = stats(client, staff, code, by=by)
        for child in body["children"]:
            expected = h.python_recount(prefix_of(child["code"], by), now)
            for name, n in expected.items():
                measure, _, band = name.partition(".")
                got = child["values"][measure]
                assert (got.get(band, 0) if band else got) == n, (child["code"], name)
    assert service.verify(f.DISTRICT, now) == []
    result = cli.invoke(args=["stats", "verify", f.DISTRICT])
    assert result.exit_code == 0 and "equal the recount" in result.output


def test_verify_reports_a_count_that_drifted(client, worker, cli):
    house = h.add_house(client, worker, f.OWN_CELL, "101")
    h.add_person(client, worker, 1, house)
    db.session.execute(
        text(
            "INSERT INTO stat_pending (grid_code, measure, key, n) "
            "VALUES (:g, 'kind', 'floating', 1)"
        ),
        {"g": f.OWN_CELL},
    )
    db.session.commit()
    result = cli.invoke(args=["stats", "verify", f.DISTRICT])
    assert result.exit_code == 1
    assert f"{f.OWN_CELL} kind:floating live 2 recount 1" in result.output


def test_each_role_sees_only_the_statistics_of_its_scope(client, worker):
    street = f.auth_as(client, "street_staff", [STREET])
    assert stats(client, street, STREET, by="community")["area"]["code"] == STREET
    # Above their own areas (names they can read): refused; beside them: as if absent.
    for headers, code in ((worker, COMMUNITY), (street, f.DISTRICT)):
        response = client.get(f"/api/v1/stats/{code}", headers=headers)
        assert (response.status_code, response.json["code"]) == (403, "outside_scope")
    beside = client.get("/api/v1/stats/440303002000", headers=street).json
    absent = client.get("/api/v1/stats/440303009000", headers=street).json
    assert beside == {**absent, "detail": absent["detail"].replace("9000", "2000")}
    assert stats(client, worker, f.OWN_CELL)["area"]["level"] == "grid"


def test_the_features_are_the_children_with_flat_counts(client, worker):
    house = h.add_house(client, worker, f.OWN_CELL, "101")
    h.add_person(client, worker, 1, house)
    staff = f.auth_as(client, "street_staff", [STREET])
    response = client.get(
        f"/api/v1/stats/{COMMUNITY}/features",
        query_string={"by": "grid", "measures": "population,age_bands"},
        headers=staff,
    )
    assert response.status_code == 200
    north, south = response.json["features"]
    assert north["geometry"]["type"] == "MultiPolygon"
    assert north["properties"]["population"] == 1 and south["properties"]["population"] == 0
    assert north["properties"]["age_bands.18-59"] == 1
    assert north["properties"]["name"] == "北网格"


def test_bad_parameters_get_a_problem_naming_them(client, worker):
    staff = f.auth_as(client, "district_staff", [f.DISTRICT])
    tomorrow = date.fromordinal(today().toordinal() + 1).isoformat()
    cases = [
        ("440303009000", {}, 404, None),
        ("4403", {}, 422, "code"),
        (STREET, {"by": "street"}, 422, "by"),
        (f.OWN_CELL, {"by": "grid"}, 422, "by"),
        (STREET, {"by": "town"}, 422, "by"),
        (STREET, {"as_of": tomorrow}, 422, "as_of"),
        (STREET, {"as_of": "2026-02-30"}, 422, "as_of"),
        (STREET, {"as_of": "0001-01-10", "measures": "arrivals"}, 422, "as_of"),
        (STREET, {"to": "0001-01-01"}, 422, "to"),
        (STREET, {"measures": "population,happiness"}, 422, "measures"),
        (STREET, {"from": "2026-03-01", "to": "2026-02-01"}, 422, "from"),
    ]
    for code, params, status, field in cases:
        response = client.get(f"/api/v1/stats/{code}", query_string=params, headers=staff)
        assert response.status_code == status, (code, params, response.json)
        assert response.content_type == "application/problem+json"
        if field:
            assert field in [e["field"] for e in response.json["errors"]], response.json
    response = client.get(f"/api/v1/stats/{STREET}/features", headers=staff)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "by"


def test_people_follow_their_house_into_another_cell_and_back_into_the_register(client, worker):
    staff = f.auth_as(client, "street_staff", [STREET])
    house = h.add_house(client, staff, f.OWN_CELL, "101")
    h.add_person(client, staff, 1, house)
    # The house was placed in the wrong cell: its point is corrected into the south cell.
    point = h.cell_point(SOUTH_CELL, 1)
    edit = f.house_data(room="101", point=point, code=house)
    [moved] = f.upload(client, staff, f.envelope("house", edit, base_version=1, position=point))
    assert moved["outcome"] == "updated", moved
    person = client.get(f"/api/v1/persons/{1}", headers=staff)
    assert db.session.scalar(select(Person.grid_code)) == SOUTH_CELL, person.json
    # Deleted, then registered again in the same house: they live there again.
    number = f.id_number(1)
    [gone] = f.upload(
        client, staff, f.envelope("person", {"id_number": number}, op="delete", base_version=1)
    )
    again = f.person_data(1, house)
    [back] = f.upload(client, staff, f.envelope("person", again, base_version=gone["version"]))
    assert back["outcome"] == "updated", back
    assert service.verify(f.DISTRICT, today()) == []
    assert stats(client, staff, SOUTH_CELL, measures="population")["total"]["population"] == 1


def test_the_one_row_an_area_is_rewritten_by_the_fold_and_checked_by_verify(client, worker, cli):
    house = h.add_house(client, worker, f.OWN_CELL, "101", rented=True)
    h.add_person(client, worker, 1, house)
    assert cli.invoke(args=["stats", "fold"]).exit_code == 0
    row = text(
        "SELECT counts -> 'kind' FROM stat_area_counts WHERE level = :level AND area_code = :c"
    )
    assert db.session.scalar(row, {"level": "grid", "c": f.OWN_CELL}) == {"floating": 1}
    assert db.session.scalar(row, {"level": "district", "c": f.DISTRICT}) == {"floating": 1}
    # Pending deltas are added to the row when read, and folded into it next time.
    h.add_person(client, worker, 2, house, kind="resident")
    assert stats(client, worker, f.OWN_CELL)["total"]["population"] == 2
    assert cli.invoke(args=["stats", "fold"]).exit_code == 0
    kinds = db.session.scalar(row, {"level": "grid", "c": f.OWN_CELL})
    assert kinds == {"floating": 1, "resident": 1}
    # What requests read is what verify checks: a row that drifted is found.
    db.session.execute(
        text(
            "UPDATE stat_area_counts SET counts = jsonb_set(counts, '{kind,resident}', '5') "
            "WHERE level = 'grid' AND area_code = :c"
        ),
        {"c": f.OWN_CELL},
    )
    db.session.commit()
    result = cli.invoke(args=["stats", "verify", f.DISTRICT])
    assert result.exit_code == 1
    assert f"{f.OWN_CELL} kind:resident live 5 recount 1" in result.output


def test_the_served_choropleth_is_the_features_document_with_a_zero_for_every_missing_count(
    client, worker
):
    house = h.add_house(client, worker, f.OWN_CELL, "101")
    h.add_person(client, worker, 1, house)
    staff = f.auth_as(client, "street_staff", [STREET])
    query = {"by": "grid", "measures": "population,floating_by_province"}
    served = client.get(f"/api/v1/stats/{COMMUNITY}/features", query_string=query, headers=staff)
    assert served.status_code == 200 and served.mimetype == "application/json"
    north, south = served.json["features"]
    assert north["properties"]["floating_by_province.43"] == 1
    assert south["properties"]["floating_by_province.43"] == 0  # 0, not left out
    # The document the service builds for other callers (an export) is the one served.
    q = service.Question(code=COMMUNITY, by="grid", wanted=("population", "floating_by_province"))
    settings = service.Settings(today=today(), crowded_above=3)
    assert service.features(None, q, settings) == served.json
