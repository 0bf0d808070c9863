"""Benchmark the upload path end to end against the raw database upsert of the same rows.

The bench database is first filled (once) with 300,000 houses and 1,000,000 persons spread over
the demo district's cells, written straight in SQL with synthetic sealed values. Then, with two
client threads against gunicorn (2 workers): batches of 500 new floating persons through
POST /api/v1/sync/upload (HTTP, validation, ID checks, encryption, blind index, grid from the
house, residence, change feed, audit, idempotency record), the same batches again (replays), and
the floor: the same person and residence rows upserted with plain psycopg, one transaction a
batch. The upload runs once with the statistics triggers switched off, to show what keeping the
statistics fresh costs. Prints records/s, p50/p99 batch latency and the ratios.
"""

import json
import os
import statistics
import sys
import threading
import time
import urllib.request
import uuid
from datetime import date, timedelta

import psycopg
from sqlalchemy import text

from bench import common
from bench.common import CAPTURED_AT, in_threads, login, serve
from gridgov import create_app
from gridgov.accounts import service as accounts
from gridgov.extensions import db
from gridgov.idnumber import check_character, mask

PORT = 5094
HOUSES, PERSONS = (
    int(os.environ.get("BENCH_HOUSES", 300_000)),
    int(os.environ.get("BENCH_PERSONS", 1_000_000)),
)
BATCH, BATCHES, CLIENTS = 500, int(os.environ.get("BENCH_BATCHES", 24)), 2

SEED_HOUSES = """
INSERT INTO houses (code, community_code, grid_code, compound, building, unit, floor, room, use,
                    rented, geom)
SELECT g.parent_code || lpad((10000 + i / 100 % 90000)::text, 5, '0') || '01'
         || lpad((i / 10 % 100)::text, 3, '0') || lpad((i % 1000)::text, 3, '0'),
       g.parent_code, g.code, 'seed', (i / 100)::text, '1', i / 10 % 100, (i % 1000)::text, '01',
       i % 5 = 0, ST_PointOnSurface(g.geom)
FROM generate_series(0, :n - 1) AS i
JOIN LATERAL (SELECT code, parent_code, geom FROM areas WHERE level = 'grid'
              ORDER BY code OFFSET (i % 519) LIMIT 1) g ON true
ON CONFLICT (code) DO NOTHING
"""

SEED_PERSONS = """
INSERT INTO persons (id_index, id_sealed, id_masked, id_kind, capture_method, name, sex, birth_date,
                     kind, origin_code, inflow_reason, arrival_date, house_id, grid_code)
SELECT sha256(('seed' || i)::bytea), sha256(('sealed' || i)::bytea), '440303********0000',
       'mainland', 'typed', 'seed' || i, (1 + i % 2)::text, date '1950-01-01' + (i % 25000),
       CASE WHEN i % 3 = 0 THEN 'floating' ELSE 'resident' END,
       CASE WHEN i % 3 = 0 THEN '430302' END, CASE WHEN i % 3 = 0 THEN '01' END,
       CASE WHEN i % 3 = 0 THEN date '2025-01-01' END, h.id, h.grid_code
FROM generate_series(0, :n - 1) AS i
JOIN houses h ON h.id = (SELECT min(id) FROM houses WHERE compound = 'seed') + i % :houses
"""


def seed(app) -> None:
    with app.app_context():
        have = db.session.execute(
            text("SELECT count(*) FROM houses WHERE compound = 'seed'")
        ).scalar()
        if have < HOUSES:
            started = time.perf_counter()
            db.session.execute(text(SEED_HOUSES), {"n": HOUSES})
            db.session.commit()
            print(f"seeded {HOUSES} houses in {time.perf_counter() - started:.0f} s")
        have = db.session.execute(
            text("SELECT count(*) FROM persons WHERE name LIKE 'seed%'")
        ).scalar()
        if have < PERSONS:
            started = time.perf_counter()
            db.session.execute(text(SEED_PERSONS), {"n": PERSONS, "houses": HOUSES})
            db.session.execute(
                text(
                    "INSERT INTO residences (person_id, house_id, moved_in) "
                    "SELECT id, house_id, date '2025-01-01' FROM persons WHERE name LIKE 'seed%' "
                    "AND NOT EXISTS (SELECT 1 FROM residences r WHERE r.person_id = persons.id)"
                )
            )
            db.session.commit()
            db.session.execute(text("ANALYZE"))
            print(f"seeded {PERSONS} persons in {time.perf_counter() - started:.0f} s")


def id_number(n: int) -> str:
    """Distinct, valid, synthetic: a birth day each, order code 999, which `flask demo
    generate` never gives (its order codes stop at 998), so none of these people is on record
    already however large the generated population (a man: the order code is odd)."""
    born = date(1950, 1, 1) + timedelta(days=n)
    first17 = f"440303{born:%Y%m%d}999"
    return first17 + check_character(first17)


def batches(app) -> list[list[dict]]:
    with app.app_context():
        houses = [
            c
            for (c,) in db.session.execute(
                text("SELECT code FROM houses WHERE compound = 'seed' ORDER BY id LIMIT 5000")
            )
        ]
    out = []
    for b in range(BATCHES):
        records = []
        for k in range(BATCH):
            n = b * BATCH + k
            data = {
                "id_number": id_number(n),
                "capture_method": "card_reader",
                "name": f"压测{n}",
                "sex": "1",
                "ethnicity": "01",
                "phone": f"139{n:08d}",
                "kind": "floating",
                "house_code": houses[n % len(houses)],
                "floating": {
                    "inflow_reason": "01",
                    "arrival_date": "2026-03-01",
                    "origin_code": "430302",
                    "residence_type": "01",
                },
            }
            records.append(
                {
                    "uuid": str(uuid.uuid4()),
                    "type": "person",
                    "op": "upsert",
                    "data": data,
                    "captured_at": CAPTURED_AT,
                }
            )
        out.append(records)
    return out


def timed(work: list, one) -> tuple[float, list[float]]:
    """Run one(item) over work from CLIENTS threads; (seconds, per-item latencies in ms)."""
    latencies, queue, lock = [], list(work), threading.Lock()

    def client():
        while True:
            with lock:
                if not queue:
                    return
                item = queue.pop()
            started = time.perf_counter()
            one(item)
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    return in_threads(CLIENTS, client), latencies


def post(token: str, records: list[dict], port: int = PORT) -> None:
    body = json.dumps({"device_id": "bench", "records": records}).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/sync/upload",
        body,
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    results = json.load(urllib.request.urlopen(req, timeout=300))["results"]
    bad = [r for r in results if r["outcome"] not in ("created", "unchanged")]
    if bad:
        raise RuntimeError(bad[0])


FLOOR_PERSON = """
INSERT INTO persons (id_index, id_sealed, id_masked, id_kind, capture_method, name, sex, birth_date,
                     ethnicity, phone_sealed, phone_index, phone_masked, kind, origin_code,
                     inflow_reason, arrival_date, details, house_id, grid_code)
SELECT %(id_index)s, %(id_sealed)s, %(id_masked)s, 'mainland', 'card_reader', %(name)s, %(sex)s,
       %(birth)s, '01', %(phone_sealed)s, %(phone_index)s, %(phone_masked)s, 'floating', '430302',
       '01', date '2026-03-01', '{"floating": {"residence_type": "01"}}', h.id, h.grid_code
FROM houses h WHERE h.code = %(house)s
ON CONFLICT (id_index) DO UPDATE SET name = EXCLUDED.name, version = persons.version + 1
RETURNING id, house_id
"""


def floor_rows(app, batch: list[dict]) -> list[dict]:
    """The rows the API would write, sealed beforehand: the floor does only database work."""
    vault = app.extensions["vault"]
    rows = []
    for record in batch:
        d, number = record["data"], record["data"]["id_number"]
        rows.append(
            {
                "id_index": vault.index(number, "id_number"),
                "id_sealed": vault.seal(number, "person.id_number"),
                "id_masked": mask(number),
                "name": d["name"],
                "sex": d["sex"],
                "birth": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
                "phone_sealed": vault.seal(d["phone"], "person.phone"),
                "phone_index": vault.index(d["phone"], "phone"),
                "phone_masked": d["phone"][:3] + "****" + d["phone"][-4:],
                "house": d["house_code"],
            }
        )
    return rows


def floor(url: str):
    local = threading.local()

    def one(rows):
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(url)
        with local.conn.transaction():
            with local.conn.cursor() as cur:
                cur.executemany(FLOOR_PERSON, rows, returning=True)
                ids = []
                while True:
                    ids.append(cur.fetchone())
                    if not cur.nextset():
                        break
                cur.executemany(
                    "INSERT INTO residences (person_id, house_id, moved_in) "
                    "VALUES (%s, %s, date '2026-11-20')",
                    ids,
                )

    return one


FLOOR_SET = """
WITH p AS (
  INSERT INTO persons (id_index, id_sealed, id_masked, id_kind, capture_method, name, sex,
                       birth_date, ethnicity, phone_sealed, phone_index, phone_masked, kind,
                       origin_code, inflow_reason, arrival_date, details, house_id, grid_code)
  SELECT r.id_index, r.id_sealed, r.id_masked, 'mainland', 'card_reader', r.name, r.sex,
         r.birth, '01', r.phone_sealed, r.phone_index, r.phone_masked, 'floating', '430302',
         '01', date '2026-03-01', '{"floating": {"residence_type": "01"}}', h.id, h.grid_code
  FROM unnest(%s::bytea[], %s::bytea[], %s::text[], %s::text[], %s::text[], %s::date[],
              %s::bytea[], %s::bytea[], %s::text[], %s::text[])
       AS r (id_index, id_sealed, id_masked, name, sex, birth, phone_sealed, phone_index,
             phone_masked, house)
  JOIN houses h ON h.code = r.house
  ON CONFLICT (id_index) DO UPDATE SET name = EXCLUDED.name, version = persons.version + 1
  RETURNING id, house_id)
INSERT INTO residences (person_id, house_id, moved_in) SELECT id, house_id, date '2026-11-20' FROM p
"""
FLOOR_SET_COLUMNS = (
    "id_index id_sealed id_masked name sex birth phone_sealed phone_index phone_masked house"
).split()


def floor_set(url: str):
    """The same rows with one statement for both tables: what a bulk loader would do."""
    local = threading.local()

    def one(rows):
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(url)
        with local.conn.transaction():
            local.conn.execute(FLOOR_SET, [[r[c] for r in rows] for c in FLOOR_SET_COLUMNS])

    return one


def clean(app) -> None:
    """Remove the rows an earlier run wrote, and vacuum, so every run and both paths start from
    the same tables."""
    with app.app_context():
        db.session.execute(
            text(
                "DELETE FROM residences WHERE person_id IN "
                "(SELECT id FROM persons WHERE name LIKE :p)"
            ),
            {"p": "压测%"},
        )
        db.session.execute(text("DELETE FROM persons WHERE name LIKE :p"), {"p": "压测%"})
        db.session.execute(text("DELETE FROM conflicts"))
        db.session.commit()
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) persons, residences")


def stat_triggers(url: str, enabled: bool) -> None:
    """Switch the statistics triggers (migration 0003) on or off, to measure what they cost."""
    verb = "ENABLE" if enabled else "DISABLE"
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("persons", "houses"):
            for event in ("insert", "update", "delete"):
                conn.execute(f"ALTER TABLE {table} {verb} TRIGGER stat_{table}_{event}")


def report(name: str, seconds: float, latencies: list[float], records: int) -> float:
    q = statistics.quantiles(latencies, n=100)
    rate = records / seconds
    print(f"{name:30} {rate:>8.0f} records/s   batch p50 {q[49]:>7.1f} ms   p99 {q[98]:>7.1f} ms")
    common.record("upload", path=name, records_per_s=rate, p50=q[49], p99=q[98])
    return rate


def main() -> int:
    app = create_app()
    seed(app)
    with app.app_context():
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        from gridgov.accounts.models import User

        user = db.session.scalar(db.select(User).where(User.username == "bench_writer"))
        if user is None:
            accounts.create_user(
                None, "bench_writer", "bench-pass-123", "district_staff", ["440303000000"]
            )
    clean(app)
    with app.app_context():
        counts = db.session.execute(
            text("SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM houses)")
        ).one()
    work = batches(app)
    rows = [floor_rows(app, b) for b in work]
    print(
        f"upload: {counts[0]} persons and {counts[1]} houses in the database; {BATCHES} batches "
        f"of {BATCH}, {CLIENTS} clients, gunicorn 2 workers, {os.cpu_count()} cores"
    )
    seconds, lat = timed(rows, floor(url))
    by_row = report("raw upsert, row by row", seconds, lat, BATCH * BATCHES)
    clean(app)  # take the floor's rows out again so the next pass writes the same ones
    seconds, lat = timed(rows, floor_set(url))
    raw = report("raw upsert, set-based (floor)", seconds, lat, BATCH * BATCHES)
    clean(app)
    server = serve("wsgi:app", PORT)
    try:
        token = login(PORT, "bench_writer", "bench-pass-123")
        # Without the statistics first, and cleaned up before they are on again, so the counts
        # never miss a row.
        stat_triggers(url, enabled=False)
        try:
            seconds, lat = timed(work, lambda b: post(token, b))
            bare = report("API upload, no statistics", seconds, lat, BATCH * BATCHES)
            clean(app)
        finally:
            stat_triggers(url, enabled=True)
        work = batches(app)  # new UUIDs: the same people again, not replays
        seconds, lat = timed(work, lambda b: post(token, b))
        api = report("API upload", seconds, lat, BATCH * BATCHES)
        seconds, lat = timed(work, lambda b: post(token, b))
        report("API replay (same batches)", seconds, lat, BATCH * BATCHES)
    finally:
        server.terminate()
        server.wait()
    print(
        f"API / set-based raw upsert: {api / raw:.2f}; API / row-by-row raw upsert: "
        f"{api / by_row:.2f}; with / without statistics: {api / bare:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
