"""flask demo generate: a synthetic population that is valid, consistent and adds up."""

import base64
import hashlib
import hmac
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from gridgov import idnumber
from gridgov.audit.models import AuditEvent
from gridgov.clock import district_today
from gridgov.demo import service
from gridgov.demo.population import write as population
from gridgov.extensions import db
from gridgov.houses.models import Building, House, Rental
from gridgov.people.models import Person, Residence
from gridgov.stats import service as stats_service
from gridgov.stats import store as stats_store
from tests import factories as f
from tests.conftest import TABLES

PERSONS = 3000


def generate(cli, persons: int = PERSONS, seed: int = 1) -> dict:
    result = cli.invoke(args=["demo", "generate", "--persons", str(persons), "--seed", str(seed)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


_COLUMNS = "code, name, level, parent_code, grid_type, valid_from, valid_to"


@pytest.fixture(scope="session")
def demo_areas(app) -> tuple[dict, ...]:
    """The demo district's areas as rows, imported once per session (the import's topology
    checks take seconds) into tables that are emptied again at once, so every test starts from
    the same empty tables whichever runs first."""
    with app.app_context():
        service.load(1.0)
        rows = db.session.execute(
            text(f"SELECT {_COLUMNS}, ST_AsEWKB(geom) AS geom FROM areas ORDER BY id")
        )
        areas = tuple(dict(row._mapping) for row in rows)
        db.session.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.session.remove()
    return areas


@pytest.fixture
def district(demo_areas):
    """The demo district, copied into this test's empty tables."""
    db.session.execute(
        text(
            f"INSERT INTO areas ({_COLUMNS}, geom) VALUES (:code, :name, :level, "
            ":parent_code, :grid_type, :valid_from, :valid_to, ST_GeomFromEWKB(:geom))"
        ),
        [dict(row) for row in demo_areas],
    )
    db.session.commit()


@pytest.fixture
def generated(cli, district):
    return generate(cli)


def scalar(sql: str, **params):
    return db.session.execute(text(sql), params).scalar()


def test_counts_and_kinds_are_roughly_as_asked(generated):
    assert generated["persons"] == PERSONS == db.session.scalar(select(func.count(Person.id)))
    assert db.session.scalar(select(func.count(House.id))) == PERSONS // 3
    floating = db.session.scalar(select(func.count()).where(Person.kind == "floating"))
    assert 0.35 < floating / PERSONS < 0.45
    today = date.today()
    ages = [(today - born).days / 365.25 for born in db.session.scalars(select(Person.birth_date))]
    assert sum(age < 6 for age in ages) > PERSONS * 0.03
    assert sum(age >= 80 for age in ages) > PERSONS * 0.005
    assert 0.4 < sum(18 <= age < 60 for age in ages) / PERSONS < 0.8


def test_generated_people_have_valid_distinct_id_numbers(app, generated):
    vault = app.extensions["vault"]
    rows = db.session.execute(
        select(Person.id_sealed, Person.id_index, Person.id_masked, Person.sex, Person.birth_date)
    ).all()
    numbers = set()
    index_key = base64.b64decode(app.config["GRIDGOV_BLIND_INDEX_KEY"])
    for sealed, index, masked, sex, born in rows:
        number = vault.open(sealed, "person.id_number")
        assert idnumber.parse(number).kind == "mainland"
        # GB 11643: birth date in digits 7-14, the 17th odd for men ("1") and even for women ("2")
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        assert (born, sex) == (birth, "1" if int(number[16]) % 2 else "2")
        assert masked == number[:6] + "********" + number[14:]
        # the blind index: HMAC-SHA256 under the configured key of purpose, NUL and the number
        message = b"id_number\x00" + number.encode()
        assert index == hmac.new(index_key, message, hashlib.sha256).digest()
        numbers.add(number)
    assert len(numbers) == len(rows) == PERSONS
    residents = db.session.scalars(select(Person.id_masked).where(Person.kind == "resident"))
    assert sum(m.startswith("4403") for m in residents) > PERSONS * 0.6 * 0.5


def test_floating_people_come_from_elsewhere_with_a_reason_and_an_arrival_date(generated):
    rows = db.session.execute(
        select(
            Person.origin_code, Person.inflow_reason, Person.arrival_date, Person.id_masked
        ).where(Person.kind == "floating")
    ).all()
    assert all(o and r and a for o, r, a, _ in rows)
    outside = sum(not origin.startswith("44") for origin, *_ in rows)
    assert outside > len(rows) * 0.7
    assert all(a <= date.today() and (date.today() - a).days <= 3660 for _, _, a, _ in rows)
    reasons = {r for _, r, _, _ in rows}
    known = set(
        db.session.scalars(text("SELECT code FROM codes WHERE table_name = 'inflow_reason'"))
    )
    assert reasons <= known and len(reasons) > 2


def test_every_house_lies_in_its_grid_cell_with_a_code_from_its_building(generated):
    inside = scalar(
        "SELECT count(*) FROM houses h JOIN areas a ON a.code = h.grid_code "
        "WHERE ST_Covers(a.geom, h.geom) AND a.parent_code = h.community_code"
    )
    assert inside == PERSONS // 3 == scalar("SELECT count(*) FROM houses")
    # community 12 + building 5 + unit 2 + floor 3 + room 3, recounted in plain SQL
    coded = scalar(
        "SELECT count(*) FROM houses h JOIN buildings b ON b.community_code = h.community_code "
        "AND b.compound = h.compound AND b.building = h.building "
        "WHERE h.code ~ '^[0-9]{25}$' AND left(h.code, 12) = h.community_code "
        "AND substr(h.code, 13, 5)::int = b.number AND substr(h.code, 20, 3)::int = h.floor "
        "AND right(h.code, 3)::int = substring(h.room FROM '[0-9]+$')::int % 1000"
    )
    assert coded == PERSONS // 3
    assert scalar("SELECT count(DISTINCT code) FROM houses") == PERSONS // 3


def test_people_live_where_their_current_residence_says(generated):
    mismatched = scalar(
        "SELECT count(*) FROM persons p JOIN houses h ON h.id = p.house_id "
        "WHERE p.grid_code IS DISTINCT FROM h.grid_code"
    )
    assert mismatched == 0
    open_ones = scalar(
        "SELECT count(*) FROM persons p JOIN residences r ON r.person_id = p.id "
        "AND r.moved_out IS NULL AND r.house_id = p.house_id"
    )
    assert open_ones == PERSONS
    floating_in_late = scalar(
        "SELECT count(*) FROM persons p JOIN residences r ON r.person_id = p.id "
        "WHERE p.kind = 'floating' AND r.moved_in < p.arrival_date"
    )
    assert floating_in_late == 0


def test_each_person_has_one_open_residence_and_none_overlap(generated):
    assert (
        scalar(
            "SELECT count(*) FROM (SELECT person_id FROM residences WHERE moved_out IS NULL "
            "GROUP BY 1 HAVING count(*) <> 1) x"
        )
        == 0
    )
    assert (
        scalar(
            "SELECT count(*) FROM residences a JOIN residences b ON a.person_id = b.person_id "
            "AND a.id < b.id AND daterange(a.moved_in, a.moved_out) && daterange(b.moved_in, "
            "b.moved_out)"
        )
        == 0
    )
    assert (
        scalar(
            "SELECT count(*) FROM residences r JOIN persons p ON p.id = r.person_id "
            "WHERE r.moved_in < p.birth_date OR r.moved_out <= r.moved_in OR r.moved_in > now()"
        )
        == 0
    )
    closed = db.session.scalar(select(func.count()).where(Residence.moved_out.is_not(None)))
    assert PERSONS * 0.08 < closed < PERSONS * 0.25
    assert generated["closed_residences"] == closed


def test_some_houses_are_rented_and_some_stand_empty(app, generated):
    houses = PERSONS // 3
    rented = db.session.scalar(select(func.count()).where(House.rented))
    assert houses * 0.15 < rented < houses * 0.4
    assert db.session.scalar(select(func.count(Rental.house_id))) == generated["rentals"] > 0
    vacant = scalar(
        "SELECT count(*) FROM houses h WHERE NOT EXISTS "
        "(SELECT 1 FROM persons p WHERE p.house_id = h.id)"
    )
    assert houses * 0.03 < vacant < houses * 0.2
    vault = app.extensions["vault"]
    rental = db.session.scalars(select(Rental).where(func.cardinality(Rental.hazards) > 0)).first()
    assert rental is not None
    landlord = idnumber.parse(vault.open(rental.landlord_id_sealed, "rental.landlord_id_number"))
    # A landlord is one of the generated residents: the blind index finds them.
    assert (
        db.session.scalar(select(Person.name).where(Person.id_index == rental.landlord_id_index))
        == rental.landlord_name
    )
    assert rental.landlord_id_masked == landlord.number[:6] + "********" + landlord.number[14:]


def test_a_second_run_adds_people_without_collisions(cli, district):
    first = generate(cli, 1000, seed=5)
    again = generate(cli, 1000, seed=5)  # the same plan, so every draw would collide
    assert first["persons"] == again["persons"] == 1000
    assert db.session.scalar(select(func.count(Person.id))) == 2000
    assert db.session.scalar(select(func.count(func.distinct(Person.id_index)))) == 2000
    assert db.session.scalar(select(func.count(func.distinct(House.code)))) == 2 * 333
    buildings = db.session.scalar(select(func.count()).select_from(Building))
    assert buildings == first["buildings"] + again["buildings"]
    runs = db.session.scalars(
        select(AuditEvent.after).where(AuditEvent.action == "generate_demo_population")
    ).all()
    assert [r["persons"] for r in runs] == [1000, 1000]


def test_a_generated_person_can_be_looked_up_and_revealed_through_the_api(app, client, generated):
    vault = app.extensions["vault"]
    person_id, grid, id_sealed, phone_sealed = db.session.execute(
        select(Person.id, Person.grid_code, Person.id_sealed, Person.phone_sealed)
        .where(Person.phone_sealed.is_not(None))
        .order_by(Person.id)
        .limit(1)
    ).one()
    number = vault.open(id_sealed, "person.id_number")
    staff = f.auth_as(client, "street_staff", [grid[:9] + "000"], username="desk")
    found = client.post("/api/v1/persons/lookup", json={"id_number": number}, headers=staff)
    assert found.status_code == 200, found.json
    assert found.json["id"] == person_id
    assert found.json["id_number"] == number[:6] + "********" + number[14:]
    phone = client.post(
        f"/api/v1/persons/{person_id}/reveal",
        json={"field": "phone", "reason": "回访联系"},
        headers=staff,
    )
    assert phone.json["value"] == vault.open(phone_sealed, "person.phone")
    assert found.json["phone"] == phone.json["value"][:3] + "****" + phone.json["value"][-4:]


def test_an_interrupted_run_leaves_no_one_without_a_residence(cli, district, monkeypatch):
    monkeypatch.setattr(population, "CHUNK", 400)
    copy = population._Writer._copy
    calls = []

    def failing(self, table, columns, lines):
        calls.append(table)
        if calls.count("residences") == 2:
            raise RuntimeError("interrupted")
        copy(self, table, columns, lines)

    monkeypatch.setattr(population._Writer, "_copy", failing)
    result = cli.invoke(args=["demo", "generate", "--persons", "1000"])
    assert isinstance(result.exception, RuntimeError)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Person.id))) == 400
    assert (
        scalar(
            "SELECT count(*) FROM persons p WHERE NOT EXISTS (SELECT 1 FROM residences r "
            "WHERE r.person_id = p.id AND r.moved_out IS NULL)"
        )
        == 0
    )


def test_generate_refuses_without_grid_cells(cli):
    result = cli.invoke(args=["demo", "generate", "--persons", "10"])
    assert result.exit_code != 0
    assert "flask demo load" in result.output


def test_if_empty_generates_only_into_a_district_without_people(cli, generated):
    before = db.session.scalar(select(func.count(Person.id)))
    result = cli.invoke(args=["demo", "generate", "--persons", "100", "--if-empty"])
    assert result.exit_code == 0 and "nothing generated" in result.output
    assert db.session.scalar(select(func.count(Person.id))) == before


def test_a_generated_population_answers_past_statistics_at_once_equal_to_a_recount(
    client, generated
):
    today = district_today()
    kept = db.session.scalar(text("SELECT count(*) FROM stat_snapshot_days WHERE ready"))
    assert generated["history_days_kept"] == kept == len(stats_store.history_days(today, 24))
    staff = f.auth_as(client, "district_staff", [f.DISTRICT], username="chief")
    month_end = today.replace(day=1) - timedelta(days=1)
    a_year_back = (month_end - timedelta(days=365)).replace(day=18)  # a day between kept days
    for day in (month_end, a_year_back):
        answer = client.get(
            f"/api/v1/stats/{f.DISTRICT}",
            query_string={"by": "street", "as_of": day.isoformat()},
            headers=staff,
        )
        assert answer.status_code == 200, answer.json
        assert answer.json["total"]["population"] > 0
    assert stats_service.verify(f.DISTRICT, today, (month_end, a_year_back)) == []
