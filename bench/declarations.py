"""Benchmark residents' declarations: public submissions accepted per second through gunicorn
(2 workers, throttling on) against the raw INSERT of the same staging rows in the same run, and
the review queue's p50/p95 for a street with 10,000 pending declarations.

The public endpoint throttles per client address and per ID number; gunicorn runs behind one
trusted proxy hop (GRIDGOV_PROXIES=1), so each request's X-Forwarded-For is another address
and every declaration names another person: throttling is on and checked on every request, but
no request is stopped by it. wrk (a C client, as a resident's phone is not on the server) sends
them, DECL_CLIENTS connections, as many connections as the floor's psycopg threads. Houses: the
upload benchmark's 'seed' houses (DECL_HOUSES of them are seeded here if fewer exist). The API,
the floor, the floor's INSERT from pgbench (a C client too, on rows of the same shape) and a
plain Flask view writing the floor's rows take turns for DECL_SECONDS each,
DECL_ALTERNATE rounds after a warm-up, and each round has its ratio: this VM's speed drifts
within a minute. The declarations of earlier runs are removed first and the street's 10,000
pending ones written (and ANALYZEd: this machine's server runs no autovacuum), so each run
starts on the same table, the queue is timed on it, then the submissions. No assertions: the
figures go to the README.
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
from flask import Flask, request
from sqlalchemy import text

from bench.common import CpuSplit, account, in_threads, login, serve, wrk
from bench.upload import SEED_HOUSES
from gridgov import create_app
from gridgov.declarations.submit import mask_name, new_reference
from gridgov.extensions import db
from gridgov.idnumber import check_character, mask

PORT, FLASK_PORT = 5096, 5099
PATH = "/api/v1/declarations"
HOUSES = int(os.environ.get("DECL_HOUSES", 2000))
PENDING = int(os.environ.get("DECL_PENDING", 10_000))
ROUNDS = int(os.environ.get("DECL_ROUNDS", 60))
CLIENTS = int(os.environ.get("DECL_CLIENTS", 2))
ROUNDS_ALTERNATE = int(os.environ.get("DECL_ALTERNATE", 4))
SECONDS = int(os.environ.get("DECL_SECONDS", 5))
# Bodies made for each turn: more than any of the four sends in its seconds (the floor ~3,000/s).
PER_TURN = int(os.environ.get("DECL_MAX_RATE", 5000)) * SECONDS
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


def removed_earlier_runs(app) -> None:
    """The declarations of earlier runs go (their ID numbers are this run's again), with the
    visits they sent."""
    with app.app_context():
        db.session.execute(text("DELETE FROM visit_tasks WHERE subject_type = 'declaration'"))
        db.session.execute(text("TRUNCATE declarations, declaration_events"))
        db.session.commit()


def bodies(codes: list[str], start: int, count: int) -> list[dict]:
    out = []
    for n in range(start, start + count):
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
                "house_code": codes[n % len(codes)],
            }
        )
    return out


# Each wrk thread sends every second body of the turn's file from its own start, and each
# request comes from another address. A turn that ran out would send a body again: a 409.
LUA = """
local bodies = {}
for line in io.lines("%s") do bodies[#bodies + 1] = line end
local started = 0
function setup(thread)
  thread:set("first", started)
  started = started + 1
end
function init(args)
  math.randomseed(os.time() * 2 + first)
end
local sent = 0
request = function()
  local k = (first + sent * 2) %% #bodies + 1
  sent = sent + 1
  local address = "10." .. math.random(250) .. "." .. math.random(250) .. "." .. math.random(250)
  return wrk.format("POST", "%s",
    {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address}, bodies[k])
end
"""


def lines(items: list[dict]) -> tuple[str, int]:
    """The items as a file of JSON lines for wrk: (its path, how many)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as out:
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return out.name, len(items)


def sent(port: int, path: str, made: tuple[str, int]) -> dict:
    """wrk POSTing the file's bodies for SECONDS: its figures (see bench.common.wrk)."""
    name, count = made
    try:
        got = wrk(LUA % (name, path), f"http://127.0.0.1:{port}", CLIENTS, SECONDS)
    finally:
        os.unlink(name)
    if got["errors"] or got["requests"] >= count:
        raise RuntimeError(f"{path}: {got} (of {count} bodies): raise DECL_MAX_RATE?")
    return got


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


def insert_floor(conn, row: dict) -> None:
    """A floor row: the declaration, its two events and its audit row in one statement, on an
    autocommit connection (as the API writes it: one statement is all or nothing on its own,
    and a BEGIN and a COMMIT would be two more round trips the API does not make)."""
    conn.execute(FLOOR, row)


# Open from the first floor turn on, as the workers' connections are: a backend's time is then
# counted while it runs (a closed one's reaches its postmaster only once reaped).
_floor_connections: list = []


def floor(rows: list[dict]) -> dict:
    """The floor rows by plain psycopg from CLIENTS threads for SECONDS: rate, p50, p99."""
    if not _floor_connections:
        url = os.environ["DATABASE_URL"]
        _floor_connections.extend(psycopg.connect(url, autocommit=True) for _ in range(CLIENTS))
    latencies, queue, lock = [], list(reversed(rows)), threading.Lock()
    free = list(_floor_connections)
    stop = time.perf_counter() + SECONDS

    def client():
        with lock:
            conn = free.pop()
        while time.perf_counter() < stop:
            with lock:
                if not queue:
                    return
                row = queue.pop()
            started = time.perf_counter()
            insert_floor(conn, row)
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    seconds = in_threads(CLIENTS, client)
    if not queue:
        raise SystemExit("the floor ran out of rows: raise DECL_MAX_RATE")
    return figures(latencies, seconds)


def figures(latencies: list[float], seconds: float) -> dict:
    """A turn's rate, p50 and p99 (ms) and requests, as bench.common.wrk gives them."""
    q = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / seconds, "p50": q[49], "p99": q[98], "requests": len(latencies)}


# The floor's statement from pgbench (a C client, as wrk is for the API), on rows of the same
# shape: a sealed body of the floor's, its address, one of its houses; reference and index
# drawn at random (a clash would be a failed transaction, and stop the run).
PGBENCH = """\\set n random(1, 999999999999)
""" + (
    FLOOR.replace("%(reference)s", "'PG' || lpad(:n::text, 12, '0')")
    .replace("%(id_index)s", "sha256(('pgbench' || :n)::bytea)")
    .replace("%(id_masked)s", "'440303********0000'")
    .replace("%(name)s", "'申**'")
    .replace("%(body)s", "'\\x%(body)s'::bytea")
    .replace("%(diff)s", "'[]'")
    .replace("%(address)s", "'\\x%(address)s'::bytea")
    .replace("%(house)s", "'%(house)s'")
    .replace("%(audit)s", "'{}'")
    .replace("\n", " ")
)


def pgbench_script(row: dict) -> str:
    return PGBENCH % {**row, "body": row["body"].hex(), "address": row["address"].hex()}


def pgbench(script: str) -> dict:
    """pgbench running the script on CLIENTS connections for SECONDS."""
    with tempfile.TemporaryDirectory() as where:
        Path(where, "floor.sql").write_text(script)
        subprocess.run(
            ["pgbench", "-n", "-M", "prepared", f"-c{CLIENTS}", f"-j{CLIENTS}", f"-T{SECONDS}"]
            + ["-f", "floor.sql", "-l", "--log-prefix=t", os.environ["DATABASE_URL"]],
            cwd=where,
            check=True,
            capture_output=True,
        )
        # Each log line: client, transaction, latency in us, script, epoch s, us.
        lines = [line.split() for f in Path(where).glob("t.*") for line in f.open()]
    latencies = [int(line[2]) / 1000 for line in lines]
    span = max(int(x[4]) + int(x[5]) / 1e6 for x in lines) - min(
        int(x[4]) + int(x[5]) / 1e6 - int(x[2]) / 1e6 for x in lines
    )
    return figures(latencies, span)


flask_floor = Flask(__name__)
_flask_conn = None


@flask_floor.post("/")
def _flask_declare():
    """The floor's statement for a row sent as JSON (bytes as hex), in a plain Flask view."""
    global _flask_conn
    if _flask_conn is None:
        _flask_conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    row = request.get_json()
    for key in ("id_index", "body", "address"):
        row[key] = bytes.fromhex(row[key])
    insert_floor(_flask_conn, row)
    return {"reference": row["reference"]}, 201


# The floor's and the plain view's rows name this address, the API's never.
FLOOR_ADDRESS = "10.255.255.255"


def floor_address(app) -> bytes:
    return app.extensions["vault"].index(FLOOR_ADDRESS, "declaration.address")


def floor_rows(app, items: list[dict]) -> list[dict]:
    vault = app.extensions["vault"]
    address = floor_address(app)
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
                "address": address,
                "house": body["house_code"],
                "audit": json.dumps({"id_number": mask(number), "route": "desk"}),
            }
        )
    return rows


def hexed(row: dict) -> dict:
    return {k: v.hex() if isinstance(v, bytes) else v for k, v in row.items()}


def routes(app) -> dict[str, int]:
    """The routes triage gave the API's declarations."""
    with app.app_context():
        return dict(
            db.session.execute(
                text(
                    "SELECT route, count(*) FROM declarations WHERE address_hash <> :a"
                    " GROUP BY route ORDER BY route"
                ),
                {"a": floor_address(app)},
            ).all()
        )


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


def rounds(app, codes: list[str]) -> dict[str, list[tuple[dict, CpuSplit]]]:
    """A warm-up, then the API, the floor, pgbench and the plain Flask view in turn,
    ROUNDS_ALTERNATE times, each with bodies of its own (other ID numbers: none clashes with
    another's): {name: [(figures, CPU split)] a round}. A slow moment of the VM then falls on
    all four alike, and each round has its own ratios."""
    # pgbench draws its references and indexes: one row gives its body, address and house.
    script = pgbench_script(floor_rows(app, bodies(codes, 0, 1))[0])
    turns = {  # name: (the child it runs, what it sends made from a start, how it sends it)
        "api": (
            "wrk",
            lambda n: lines(bodies(codes, n, PER_TURN)),
            lambda made: sent(PORT, PATH, made),
        ),
        "floor": (None, lambda n: floor_rows(app, bodies(codes, n, PER_TURN)), floor),
        "pgbench": ("pgbench", lambda n: script, pgbench),
        "plain": (
            "wrk",
            lambda n: lines([hexed(r) for r in floor_rows(app, bodies(codes, n, PER_TURN))]),
            lambda made: sent(FLASK_PORT, "/", made),
        ),
    }
    out = {name: [] for name in turns}
    start = 0
    for r in range(ROUNDS_ALTERNATE + 1):
        for name, (child, made, send) in turns.items():
            items = made(start)
            start += PER_TURN
            with CpuSplit(child) as cpu:
                got = send(items)
            if r:  # the first round warms both servers up
                out[name].append((got, cpu))
    return out


def main() -> int:
    os.environ["GRIDGOV_PROXIES"] = "1"  # X-Forwarded-For names the client (one trusted hop)
    app = create_app()
    codes = houses(app)
    removed_earlier_runs(app)
    password = account(app, "bench_desk", "street_staff", [STREET])
    count, deep = pending(app)
    servers = [serve("wsgi:app", PORT)]
    try:
        print(f"queue: {count} pending declarations in street {STREET}")
        token = login(PORT, "bench_desk", password)
        for label, q50, q95 in queue_times(token, deep):
            print(f"  GET /api/v1/declarations {label}: p50 {q50:.1f} ms, p95 {q95:.1f} ms")
        servers.append(serve("bench.declarations:flask_floor", FLASK_PORT))
        out = rounds(app, codes)
        floors = {
            label: [got["rps"] for got, _ in out[name]]
            for name, label in (("floor", "the floor"), ("pgbench", "pgbench"))
        }
        print(
            f"declarations: {ROUNDS_ALTERNATE} rounds of {SECONDS} s each, {CLIENTS} connections "
            f"(wrk -t2; the floor {CLIENTS} psycopg threads, pgbench -c{CLIENTS}), gunicorn sync "
            "workers"
        )
        for name, label in (
            ("api", f"POST /api/v1/declarations (routes {routes(app)})"),
            ("floor", "floor: the same staging rows by raw INSERT (psycopg)"),
            ("pgbench", "floor's INSERT from pgbench (rows of the same shape)"),
            ("plain", "plain Flask view writing the floor's rows"),
        ):
            rates = [got["rps"] for got, _ in out[name]]
            p50 = statistics.median(got["p50"] for got, _ in out[name])
            p99 = statistics.median(got["p99"] for got, _ in out[name])
            line = (
                f"{label}: {statistics.median(rates):.0f}/s (rounds "
                f"{', '.join(f'{r:.0f}' for r in rates)}; p50 {p50:.1f} ms, p99 {p99:.1f} ms)"
            )
            if name in ("api", "plain"):
                for floor_label, floor_rates in floors.items():
                    ratios = [rate / f for rate, f in zip(rates, floor_rates, strict=True)]
                    line += (
                        f"; ratio to {floor_label} {statistics.median(ratios):.2f} (rounds "
                        f"{', '.join(f'{r:.2f}' for r in ratios)})"
                    )
            print(line)
            spent = CpuSplit.empty()
            for _, cpu in out[name]:
                spent.add(cpu)
            print(f"  CPU ms a request: {spent.per(sum(got['requests'] for got, _ in out[name]))}")
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
