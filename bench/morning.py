"""The morning download (issue 16): grid workers' devices starting their day, each logging in,
taking the first sync of its cell page after page (GET /sync/initial?limit=2000 until `next`
is null), then the change feed from the first page's cursor (GET /sync/changes until `more` is
false), through gunicorn from MORNING_CLIENTS threads, each on one http.client connection (which
reconnects after each answer: gunicorn's sync workers close every connection); against the
floor: the same rows read by raw SQL with plain psycopg (no Flask, no ORM, no JSON encoding) from
as many threads, in the same run.

Rows are cells, open door visits, houses, people and feed changes (the code tables travel on
every first page, on both sides, and are not counted). The floor runs the statements the pages
need, with the columns the views read (taken from their SHOWN tables): the feed horizon, the
cells, the code tables, the open visits with their declarations, houses and people in keyset
pages of 2000, the horizon again and the feed. It must read, device by device, as many rows of
each kind as the API served; the table says whether it did. Its WHERE clauses are the
endpoint's (scope: the device's cell, by equality), so it gets the same plans: it is the
endpoint's SQL without the framework, not the best SQL there could be.

Logging in is timed as its own phase (an Argon2 check per device, which the floor has no
counterpart for); the download phase and the floor are then compared in rows/s, each after a
warm-up, with the CPU each side's processes spent (only this run's: see OwnCpu). Each device is
a grid-worker account bench_morning_<k> bound to one cell of the demo district holding houses
and people, spread over the district's cells by code. No assertions: the figures go to the
README. Knobs: MORNING_DEVICES (60), MORNING_CLIENTS (4), BENCH_WORKERS (gunicorn's, 2).
"""

import http.client
import json
import os
import secrets
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from urllib.parse import quote

import psycopg
from sqlalchemy import select, text

from bench.common import WORKERS, CpuSplit, record, serve
from gridgov import create_app
from gridgov.accounts import service as accounts
from gridgov.accounts.models import User
from gridgov.clock import district_today
from gridgov.extensions import db
from gridgov.houses import views as house_views
from gridgov.people import views as person_views
from gridgov.sync.changes import _HORIZON

PORT = 5097
DEVICES = int(os.environ.get("MORNING_DEVICES", "60"))
CLIENTS = int(os.environ.get("MORNING_CLIENTS", "4"))
PAGE = 2000
FEED_PAGE = 500  # GET /sync/changes' default limit
DISTRICT = "440303"
KINDS = ("cells", "visits", "houses", "persons", "changes")
MORNING = 15_000


@dataclass
class Device:
    n: int
    cell: str
    password: str
    token: str = ""
    login_ms: float = 0.0
    api: Counter = field(default_factory=Counter)
    api_bytes: int = 0
    api_ms: float = 0.0
    floor: Counter = field(default_factory=Counter)
    floor_ms: float = 0.0


def call(conn: http.client.HTTPConnection, method: str, path: str, headers, body=None):
    """(body bytes, parsed body) of one request; anything but 200 stops the run."""
    conn.request(method, path, body, headers)
    response = conn.getresponse()
    raw = response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {raw[:300]!r}")
    return raw, json.loads(raw)


def connect_api() -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)


def log_in(conn, device: Device) -> None:
    body = json.dumps({"username": f"bench_morning_{device.n}", "password": device.password})
    headers = {"Content-Type": "application/json", "X-Device-Id": f"morning-{device.n}"}
    started = time.perf_counter()
    _, answer = call(conn, "POST", "/api/v1/auth/login", headers, body)
    device.login_ms = (time.perf_counter() - started) * 1000
    device.token = answer["access_token"]


def download(conn, device: Device) -> None:
    """The device's first sync, then the feed from the first page's cursor."""
    headers = {"Authorization": f"Bearer {device.token}"}
    rows, size, cursor, page = Counter(), 0, None, None
    started = time.perf_counter()
    while True:
        path = f"/api/v1/sync/initial?limit={PAGE}" + (f"&page={quote(page)}" if page else "")
        raw, answer = call(conn, "GET", path, headers)
        size += len(raw)
        for kind in KINDS[:4]:
            rows[kind] += len(answer[kind])
        cursor = cursor or answer["cursor"]
        page = answer["next"]
        if page is None:
            break
    while True:
        raw, answer = call(conn, "GET", f"/api/v1/sync/changes?cursor={cursor}", headers)
        size += len(raw)
        rows["changes"] += len(answer["changes"])
        cursor = answer["cursor"]
        if not answer["more"]:
            break
    device.api_ms = (time.perf_counter() - started) * 1000
    device.api, device.api_bytes = rows, size


def _columns(alias: str, shown: dict) -> str:
    return ", ".join(f"{alias}.{column}" for column in shown.values() if column)


CELLS = """
SELECT code, name, level, parent_code, grid_type, valid_from, ST_AsGeoJSON(geom, 7)
FROM areas WHERE level = 'grid' AND valid_from <= %(today)s
  AND (valid_to IS NULL OR valid_to > %(today)s) AND code = %(cell)s
ORDER BY code
"""
CODES = "SELECT table_name, code, label FROM codes WHERE valid_to IS NULL ORDER BY 1, 2"
VISITS = """
SELECT t.id, h.code, t.grid_code, h.compound, h.building, h.unit, h.floor, h.room,
  ST_X(h.geom), ST_Y(h.geom), t.subject_type, t.subject_id, t.reason, t.state, t.issued_at,
  u.username, t.done_at, t.withdrawn_at, t.withdrawn_reason,
  d.reference, d.id_masked, d.name_masked, d.diff
FROM visit_tasks t JOIN houses h ON h.id = t.house_id
LEFT JOIN users u ON u.id = t.issued_by
LEFT JOIN declarations d ON t.subject_type = 'declaration' AND d.id = t.subject_id
  AND d.area_code = %(cell)s
WHERE t.grid_code = %(cell)s AND t.state = 'open'
ORDER BY t.id
"""
HOUSES = f"""
SELECT {_columns("h", house_views.SHOWN)}, ST_X(h.geom), ST_Y(h.geom), h.deleted_at,
  r.house_id, {_columns("r", house_views.RENTAL_SHOWN)}
FROM houses h LEFT JOIN rentals r ON r.house_id = h.id
WHERE h.deleted_at IS NULL AND h.grid_code = %(cell)s AND h.code > %(after)s
ORDER BY h.code LIMIT {PAGE}
"""
PERSONS = f"""
SELECT {_columns("p", person_views.SHOWN)}, h.code, p.deleted_at
FROM persons p LEFT JOIN houses h ON h.id = p.house_id
WHERE p.deleted_at IS NULL AND p.grid_code = %(cell)s AND p.id > %(after)s
ORDER BY p.id LIMIT {PAGE}
"""
# Nothing writes during the run, so the feed is empty on both sides (the counts check it); the
# floor would otherwise also have to read the records the upserts point to.
FEED = f"""
SELECT seq, txid, grid_code, record_type, record_key, op, at FROM changes
WHERE grid_code = %(cell)s AND txid < %(horizon)s
  AND (txid > %(low)s OR (txid = %(low)s AND seq > %(seq)s))
ORDER BY txid, seq LIMIT {FEED_PAGE}
"""


def connect_floor() -> psycopg.Connection:
    # autocommit, as the API runs its GETs (no BEGIN and ROLLBACK round trips)
    return psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)


def floor_download(conn: psycopg.Connection, device: Device) -> None:
    """The same rows as download(), by raw SQL, fetched to this process."""
    args = {"cell": device.cell, "today": district_today()}
    rows = Counter()
    started = time.perf_counter()
    horizon = conn.execute(_HORIZON.text).fetchone()[0]
    rows["cells"] = len(conn.execute(CELLS, args).fetchall())
    conn.execute(CODES).fetchall()
    rows["visits"] = len(conn.execute(VISITS, args).fetchall())
    for kind, sql, after in (("houses", HOUSES, ""), ("persons", PERSONS, 0)):
        while True:
            page = conn.execute(sql, {**args, "after": after}).fetchall()
            rows[kind] += len(page)
            if len(page) < PAGE:
                break
            after = page[-1][0]  # the code of a house, the id of a person: the keys paged by
    low, seq = horizon, 0
    horizon = conn.execute(_HORIZON.text).fetchone()[0]
    while True:
        page = conn.execute(FEED, {**args, "horizon": horizon, "low": low, "seq": seq}).fetchall()
        rows["changes"] += len(page)
        if len(page) < FEED_PAGE:
            break
        seq, low = page[-1][0], page[-1][1]
    device.floor_ms = (time.perf_counter() - started) * 1000
    device.floor = rows


def run(devices: list[Device], work, connections: list) -> float:
    """work(connection, device) for every device from a thread per connection: the seconds it
    took. The caller opens the connections and closes them after: a backend that exits inside
    a CPU split takes its CPU time with it."""
    queue, lock = list(reversed(devices)), Lock()

    def client(conn):
        while True:
            with lock:
                if not queue:
                    return
                device = queue.pop()
            work(conn, device)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(connections)) as pool:
        for future in [pool.submit(client, conn) for conn in connections]:
            future.result()  # a failed request stops the run rather than thin its figures
    return time.perf_counter() - started


def _children(pid: int) -> set[str]:
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2 :].split()[1] == str(pid):
            out.add(entry.name)
    return out


class OwnCpu(CpuSplit):
    """CpuSplit counting this run's processes only: the gunicorn it started (with its workers)
    and the postgres backends of this database. bench.common's counts every gunicorn and
    postgres on the machine, and another benchmark may be running on another database."""

    def __init__(self, server_pid: int, monitor: psycopg.Connection):
        self.server_pid, self.monitor = server_pid, monitor

    def _ours(self) -> set[str]:
        backends = self.monitor.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {str(self.server_pid)} | _children(self.server_pid) | {str(p) for (p,) in backends}

    def __enter__(self):
        self._pids = self._ours()
        return super().__enter__()

    def __exit__(self, *exc):
        self._pids |= self._ours()
        super().__exit__(*exc)

    def _counted(self, pid: str, command: str) -> bool:
        return pid in self._pids and command in ("gunicorn", "postgres")


# Cells in force today that hold houses and people, and the district's rows per cell.
CELLS_WITH_PEOPLE = """
SELECT a.code FROM areas a
WHERE a.level = 'grid' AND a.code LIKE :district AND a.valid_from <= :today
  AND (a.valid_to IS NULL OR a.valid_to > :today)
  AND EXISTS (SELECT 1 FROM houses h WHERE h.grid_code = a.code AND h.deleted_at IS NULL)
  AND EXISTS (SELECT 1 FROM persons p WHERE p.grid_code = a.code AND p.deleted_at IS NULL)
ORDER BY a.code
"""
DISTRICT_ROWS = """
WITH cells AS (
  SELECT code FROM areas WHERE level = 'grid' AND code LIKE :district AND valid_from <= :today
    AND (valid_to IS NULL OR valid_to > :today))
SELECT (SELECT count(*) FROM cells),
  (SELECT count(*) FROM visit_tasks WHERE state = 'open' AND grid_code IN (SELECT code FROM cells)),
  (SELECT count(*) FROM houses WHERE deleted_at IS NULL AND grid_code IN (SELECT code FROM cells)),
  (SELECT count(*) FROM persons WHERE deleted_at IS NULL AND grid_code IN (SELECT code FROM cells))
"""


def bind(app, username: str, cell: str) -> str:
    """A fresh password for a device's account, bound to its cell (created on the first run;
    an earlier run's may have been bound to another cell)."""
    password = "bench-" + secrets.token_urlsafe(12)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            accounts.create_user(None, username, password, "grid_worker", [cell])
        else:
            changes = {"password": password, "areas": [cell], "unlock": True}
            accounts.update_user(None, user.id, changes)
    return password


def setup(app) -> tuple[list[Device], tuple[int, ...]]:
    """One device per cell, spread over the district's cells by code; and the district's
    (cells, open visits, houses, people)."""
    args = {"district": DISTRICT + "%", "today": district_today()}
    with app.app_context():
        cells = list(db.session.scalars(text(CELLS_WITH_PEOPLE), args))
        district = tuple(db.session.execute(text(DISTRICT_ROWS), args).one())
    n = min(DEVICES, len(cells))
    picked = [cells[k * len(cells) // n] for k in range(n)]
    devices = [
        Device(k, cell, bind(app, f"bench_morning_{k}", cell)) for k, cell in enumerate(picked)
    ]
    return devices, district


def percentiles(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), statistics.quantiles(values, n=20)[18]


def totals(devices: list[Device], side: str) -> Counter:
    out = Counter()
    for device in devices:
        out.update(getattr(device, side))
    return out


def main() -> int:
    app = create_app()
    devices, (cells, visits, houses, persons) = setup(app)
    server = serve("wsgi:app", PORT)
    monitor = connect_floor()
    to_api = [connect_api() for _ in range(CLIENTS)]
    to_db = [connect_floor() for _ in range(CLIENTS)]
    try:
        with OwnCpu(server.pid, monitor) as login_cpu:
            login_s = run(devices, log_in, to_api)
        run(devices, floor_download, to_db)  # warm up: the database's cache
        run(devices[: 2 * CLIENTS], download, to_api)  # and the workers
        with OwnCpu(server.pid, monitor) as api_cpu:
            api_s = run(devices, download, to_api)
        with OwnCpu(server.pid, monitor) as floor_cpu:
            floor_s = run(devices, floor_download, to_db)
    finally:
        for conn in [monitor, *to_api, *to_db]:
            conn.close()
        server.terminate()
        server.wait()

    n = len(devices)
    api, floor = totals(devices, "api"), totals(devices, "floor")
    api_rows, floor_rows = sum(api.values()), sum(floor.values())
    api_bytes = sum(d.api_bytes for d in devices)
    api_rate, floor_rate = api_rows / api_s, floor_rows / floor_s
    differ = [d.n for d in devices if d.api != d.floor]
    print(
        f"morning: {n} devices (one grid cell each of {DISTRICT}), {CLIENTS} client threads, "
        f"gunicorn {WORKERS} sync workers, {os.cpu_count()} cores; pages of {PAGE}"
    )
    print(
        "rows read: "
        + ", ".join(f"{k} {api[k]}" for k in KINDS)
        + f" = {api_rows} by the API ({api_rows / n:.0f} a device, {api_bytes / n / 1e3:.0f} kB); "
        + f"{floor_rows} by the floor: "
        + ("the same, device by device" if not differ else f"DIFFERENT for devices {differ}")
    )
    print()
    print("| phase | devices/s | rows/s | MB/s | p50 ms | p95 ms | CPU ms per 1,000 rows |")
    print("|---|---:|---:|---:|---:|---:|---|")
    p50, p95 = percentiles([d.login_ms for d in devices])
    print(
        f"| log in (POST /auth/login) | {n / login_s:.1f} | | | {p50:.0f} | {p95:.0f} "
        f"| per login: {login_cpu.per(n)} |"
    )
    p50, p95 = percentiles([d.api_ms for d in devices])
    print(
        f"| API: /sync/initial pages + /sync/changes | {n / api_s:.1f} | {api_rate:,.0f} "
        f"| {api_bytes / api_s / 1e6:.2f} | {p50:.0f} | {p95:.0f} "
        f"| {api_cpu.per(api_rows / 1000)} |"
    )
    p50, p95 = percentiles([d.floor_ms for d in devices])
    print(
        f"| floor: the same rows by raw SQL (psycopg) | {n / floor_s:.1f} | {floor_rate:,.0f} "
        f"| | {p50:.0f} | {p95:.0f} | {floor_cpu.per(floor_rows / 1000)} |"
    )
    print()
    print(f"API rows/s ÷ floor rows/s: {api_rate / floor_rate:.2f} (aim ≥ 0.5)")
    ratio = api_rate / floor_rate
    record("morning", rows_per_device=api_rows / n, api_rows_per_s=api_rate, ratio=ratio)
    average = (cells + visits + houses + persons) / cells
    logins = MORNING / (n / login_s)
    download_s, floor_total = MORNING * average / api_rate, MORNING * average / floor_rate
    print(
        f"extrapolation, not measured: {MORNING:,} devices with the district's average of "
        f"{average:.0f} rows a cell ({cells} cells, {visits} open visits, {houses} houses, "
        f"{persons} people) would take {download_s / 60:.1f} min of download at the API's "
        f"{api_rate:,.0f} rows/s, plus {logins / 60:.1f} min of logging in at "
        f"{n / login_s:.1f}/s; the floor would read them in {floor_total / 60:.1f} min"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
