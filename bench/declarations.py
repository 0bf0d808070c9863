"""Benchmark residents' declarations: public submissions accepted per second through gunicorn
(2 workers, throttling on) against the raw INSERT of the same staging rows in the same run, and
the review queue's p50/p95 for a street with 10,000 pending declarations.

The public endpoint throttles per client address and per ID number; gunicorn runs behind one
trusted proxy hop (GRIDGOV_PROXIES=1), so each request's X-Forwarded-For is another address
and every declaration names another person: throttling is on and checked on every request, but
no request is stopped by it. Houses: the upload benchmark's 'seed' houses (DECL_HOUSES of them
are seeded here if fewer exist). The API, the floor and a plain Flask view writing the floor's
rows take turns, DECL_ALTERNATE rounds of an equal share each, and each round has its ratio:
this VM's speed drifts within a minute. No assertions: the figures go to the README.
"""

import http.client
import json
import os
import secrets
import statistics
import sys
import threading
import time
from datetime import date, timedelta

import psycopg
from flask import Flask, request
from sqlalchemy import text

from bench.common import CpuSplit, account, login, serve
from bench.upload import SEED_HOUSES
from gridgov import create_app
from gridgov.declarations.submit import mask_name, new_reference
from gridgov.extensions import db
from gridgov.idnumber import check_character, mask

PORT, FLASK_PORT = 5096, 5099
DECLARATIONS = int(os.environ.get("DECL_BENCH_N", 2000))
HOUSES = int(os.environ.get("DECL_HOUSES", 2000))
PENDING = int(os.environ.get("DECL_PENDING", 10_000))
ROUNDS = int(os.environ.get("DECL_ROUNDS", 60))
CLIENTS = int(os.environ.get("DECL_CLIENTS", 2))
ROUNDS_ALTERNATE = int(os.environ.get("DECL_ALTERNATE", 4))
# ID numbers of a run: a day of birth per thousand, 1960 on (run < 1000: born before 1990).
STRIDE = max(5000, DECLARATIONS)
STREET = "440303001000"


def id_number(n: int) -> str:
    """Distinct, valid, synthetic; born 1960 on, so none collides with the upload bench's."""
    born = date(1960, 1, 1) + timedelta(days=n // 1000)
    first17 = f"440303{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_character(first17)


def houses(app) -> list[str]:
    with app.app_context():
        have = db.session.scalar(text("SELECT count(*) FROM houses WHERE compound = 'seed'"))
        if have < HOUSES:
            db.session.execute(text(SEED_HOUSES), {"n": HOUSES})
            db.session.commit()
        return list(
            db.session.scalars(
                text("SELECT code FROM houses WHERE compound = 'seed' ORDER BY id LIMIT :n"),
                {"n": HOUSES},
            )
        )


def bodies(codes: list[str], run: int) -> list[dict]:
    out = []
    for k in range(DECLARATIONS):
        n = run * STRIDE + k
        out.append(
            {
                "person": {
                    "id_number": id_number(n),
                    "name": f"申报{n}",
                    "sex": "1" if n % 1000 % 2 else "2",
                    "ethnicity": "01",
                    "phone": f"137{n:08d}",
                    "kind": "resident",
                    "capture_method": "card_reader",
                },
                "house_code": codes[k % len(codes)],
            }
        )
    return out


def timed(work: list, one) -> tuple[float, list[float]]:
    """one(connection, item) over work from CLIENTS threads: (seconds, latencies in ms)."""
    latencies, queue, lock = [], list(work), threading.Lock()

    def client():
        conn = one.connect()
        while True:
            with lock:
                if not queue:
                    break
                item = queue.pop()
            started = time.perf_counter()
            one(conn, item)
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies


class Declare:
    """POST /api/v1/declarations over a kept-alive connection, from another address each."""

    def __init__(self):
        self.routes, self.lock = {}, threading.Lock()

    def connect(self):
        return http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)

    def __call__(self, conn, body):
        address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
        headers = {"Content-Type": "application/json", "X-Forwarded-For": address}
        conn.request("POST", "/api/v1/declarations", json.dumps(body), headers)
        response = conn.getresponse()
        answer = json.loads(response.read())
        if response.status != 201:
            raise RuntimeError(answer)
        with self.lock:
            self.routes[answer["route"]] = self.routes.get(answer["route"], 0) + 1


FLOOR = """
WITH d AS (
  INSERT INTO declarations (reference, state, route, rule_name, rules_version, street_code,
    community_code, grid_code, area_code, house_id, house_code, kind, id_index, id_masked,
    name_masked, body_sealed, diff, address_hash)
  SELECT %(reference)s, 'triaged', 'desk', 'default', 1, left(h.community_code, 9) || '000',
    h.community_code, h.grid_code, h.grid_code, h.id, h.code, 'resident', %(id_index)s,
    %(id_masked)s, %(name)s, %(body)s, %(diff)s, %(address)s
  FROM houses h WHERE h.code = %(house)s
  RETURNING id),
a AS (
  INSERT INTO audit_events (action, entity_type, entity_key, after)
  VALUES ('declare', 'declaration', %(reference)s, %(audit)s))
INSERT INTO declaration_events (declaration_id, from_state, to_state)
SELECT id, NULL, 'submitted' FROM d UNION ALL SELECT id, 'submitted', 'triaged' FROM d
"""


class Floor:
    """The same staging rows (sealed beforehand) with plain psycopg, one transaction each: the
    declaration, its two events and its audit row in one statement."""

    def __init__(self, url: str):
        self.url = url

    def connect(self):
        return psycopg.connect(self.url)

    def __call__(self, conn, row):
        insert_floor(conn, row)


def insert_floor(conn, row: dict) -> None:
    """A floor row: the declaration, its two events and its audit row in one transaction."""
    with conn.transaction():
        conn.execute(FLOOR, row)


flask_floor = Flask(__name__)
_flask_conn = None


@flask_floor.post("/")
def _flask_declare():
    """The floor's statement for a row sent as JSON (bytes as hex), in a plain Flask view."""
    global _flask_conn
    if _flask_conn is None:
        _flask_conn = psycopg.connect(os.environ["DATABASE_URL"])
    row = request.get_json()
    for key in ("id_index", "body", "address"):
        row[key] = bytes.fromhex(row[key])
    insert_floor(_flask_conn, row)
    return {"reference": row["reference"]}, 201


class PlainFlask:
    """POST a floor row to the plain Flask view over a kept-alive connection."""

    def connect(self):
        return http.client.HTTPConnection("127.0.0.1", FLASK_PORT, timeout=60)

    def __call__(self, conn, row):
        body = {k: v.hex() if isinstance(v, bytes) else v for k, v in row.items()}
        conn.request("POST", "/", json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status != 201:
            raise RuntimeError(response.status)


def floor_rows(app, items: list[dict]) -> list[dict]:
    vault = app.extensions["vault"]
    rows = []
    for body in items:
        number = body["person"]["id_number"]
        rows.append(
            {
                "reference": new_reference(),
                "id_index": vault.index(number, "id_number"),
                "id_masked": mask(number),
                "name": mask_name(body["person"]["name"]),
                "body": vault.seal(json.dumps(body, ensure_ascii=False), "declaration.body"),
                "diff": json.dumps([{"field": "name", "ours": None, "theirs": "x"}]),
                "address": vault.index(f"10.9.{len(rows)}", "declaration.address"),
                "house": body["house_code"],
                "audit": json.dumps({"id_number": mask(number), "route": "desk"}),
            }
        )
    return rows


PENDING_SQL = """
INSERT INTO declarations (reference, state, route, rule_name, rules_version, street_code,
  community_code, grid_code, area_code, kind, id_index, id_masked, name_masked, diff)
SELECT 'SBQ' || lpad(i::text, 11, '0'), 'triaged', CASE WHEN i % 4 = 0 THEN 'visit' ELSE 'desk'
  END, 'default', 1, :street, left(g.code, 12), g.code, g.code, 'resident',
  sha256(('queue' || i)::bytea), '440303********0000', '申**',
  '[{"field": "phone", "ours": "139****0000", "theirs": "137****0000"}]'
FROM generate_series(1, :n) AS i
JOIN LATERAL (SELECT code FROM areas WHERE level = 'grid' AND code LIKE :prefix
              ORDER BY code OFFSET (i % 20) LIMIT 1) g ON true
ON CONFLICT (reference) DO NOTHING
"""


def pending(app) -> tuple[int, int]:
    with app.app_context():
        db.session.execute(
            text(PENDING_SQL), {"n": PENDING, "street": STREET, "prefix": STREET[:9] + "%"}
        )
        db.session.commit()
        db.session.execute(text("ANALYZE declarations"))
        count = db.session.scalar(
            text("SELECT count(*) FROM declarations WHERE street_code = :s AND decided_at IS NULL"),
            {"s": STREET},
        )
        # Where a page deep in the queue starts (the 51st of 100 in a queue of 10,000).
        deep = db.session.scalar(
            text(
                "SELECT id FROM declarations WHERE street_code = :s AND decided_at IS NULL "
                "ORDER BY id OFFSET :deep LIMIT 1"
            ),
            {"s": STREET, "deep": min(5000, count // 2)},
        )
        return count, deep


def percentiles(latencies: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(latencies, n=20)
    return statistics.median(latencies), q[18]


def queue_times(token: str, deep: int) -> list[tuple[str, float, float]]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    headers = {"Authorization": f"Bearer {token}"}
    out = []
    for label, path in (
        ("first page (100)", "/api/v1/declarations"),
        ("desk route, community", f"/api/v1/declarations?route=desk&area={STREET[:9]}001"),
        ("a page deep in the queue (after=)", f"/api/v1/declarations?after={deep}"),
    ):
        latencies = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(response.status)
            latencies.append((time.perf_counter() - started) * 1000)
        out.append((label, *percentiles(latencies)))
    conn.close()
    return out


def rounds(app, codes: list[str], run: int, declare: Declare) -> dict:
    """The API, the floor and the plain Flask view in turn, ROUNDS_ALTERNATE times, each on its
    share of the declarations: {name: ([rate per round], [latencies], {process: CPU ms})}. A
    slow moment of the VM then falls on all three alike, and each round has its own ratio."""
    work = {
        "api": (bodies(codes, run), declare),
        # Other numbers: the floor's rows must not clash with the API's.
        "floor": (floor_rows(app, bodies(codes, run + 1)), Floor(os.environ["DATABASE_URL"])),
        "plain": (floor_rows(app, bodies(codes, run + 2)), PlainFlask()),
    }
    out = {name: ([], [], {}) for name in work}
    size = DECLARATIONS // ROUNDS_ALTERNATE
    for r in range(ROUNDS_ALTERNATE):
        for name, (items, one) in work.items():
            share = items[r * size : (r + 1) * size]
            with CpuSplit() as cpu:
                seconds, latencies = timed(share, one)
            rates, all_latencies, spent = out[name]
            rates.append(len(share) / seconds)
            all_latencies += latencies
            for process, ms in cpu.ms.items():
                spent[process] = spent.get(process, 0) + ms
    return out


def main() -> int:
    os.environ["GRIDGOV_PROXIES"] = "1"  # X-Forwarded-For names the client (one trusted hop)
    app = create_app()
    codes = houses(app)
    run = int(time.time()) % 999 // 3 * 3  # fresh ID numbers for each run (three ranges)
    password = account(app, "bench_desk", "street_staff", [STREET])
    servers = [serve("wsgi:app", PORT)]
    try:
        servers.append(serve("bench.declarations:flask_floor", FLASK_PORT))
        declare = Declare()
        out = rounds(app, codes, run, declare)
        n = DECLARATIONS // ROUNDS_ALTERNATE * ROUNDS_ALTERNATE
        floor_rates = out["floor"][0]
        for name, label in (
            ("api", f"POST /api/v1/declarations ({CLIENTS} clients, routes {declare.routes})"),
            ("floor", "floor: the same staging rows by raw INSERT"),
            ("plain", "plain Flask view writing the floor's rows"),
        ):
            rates, latencies, spent = out[name]
            ratios = [rate / floor for rate, floor in zip(rates, floor_rates, strict=True)]
            p50, p95 = percentiles(latencies)
            print(
                f"{label}: {statistics.median(rates):.0f}/s (rounds "
                f"{', '.join(f'{r:.0f}' for r in rates)}; p50 {p50:.1f} ms, p95 {p95:.1f} ms)"
                + (
                    f"; ratio to the floor {statistics.median(ratios):.2f} (rounds "
                    f"{', '.join(f'{r:.2f}' for r in ratios)})"
                    if name != "floor"
                    else ""
                )
            )
            cpu = ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(spent.items()))
            print(f"  CPU ms per declaration: {cpu}")
        count, deep = pending(app)
        print(f"queue: {count} pending declarations in street {STREET}")
        token = login(PORT, "bench_desk", password)
        for label, q50, q95 in queue_times(token, deep):
            print(f"  GET /api/v1/declarations {label}: p50 {q50:.1f} ms, p95 {q95:.1f} ms")
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
