"""Benchmark GET /api/v1/locate through gunicorn (2 workers) against the bare floor (bench/bare.py,
the same query with no framework) and against a plain Flask view of that query (what the framework
alone costs), loaded by wrk from a second process on 127.0.0.1, at 4, 16
and 64 concurrent clients; then time z14 grid tiles through the API against the raw ST_AsMVT.

Run with `make bench` (it provisions the database and installs wrk). Prints a table; no
assertions: the figures go to the README.
"""

import os
import random
import secrets
import statistics
import sys
import time
import urllib.request

from sqlalchemy import func, select, text

from bench import common
from bench.common import WORKERS, CpuSplit, login, record, serve
from gridgov import create_app
from gridgov.accounts import service as accounts
from gridgov.accounts.models import User
from gridgov.extensions import db
from gridgov.geo import tile_of
from gridgov.hierarchy.models import Area

APP_PORT, BARE_PORT, FLASK_PORT = 5091, 5092, 5089
SECONDS = int(os.environ.get("BENCH_SECONDS", "4"))
# The API, the floor and the plain view take turns, ROUNDS runs each: this VM's speed drifts by
# half within minutes, and one long run of each would measure the drift as much as the code.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CLIENTS = (4, 16, 64)


def prepare(app) -> tuple[str, list[tuple[float, float]]]:
    """A district-wide bench account and 500 points spread over the grid cells."""
    with app.app_context():
        password = "bench-" + secrets.token_urlsafe(12)
        user = db.session.scalar(select(User).where(User.username == "bench_district"))
        if user is None:
            accounts.create_user(
                None, "bench_district", password, "district_staff", ["440303000000"]
            )
        else:
            accounts.update_user(None, user.id, {"password": password, "unlock": True})
        inside = func.ST_PointOnSurface(Area.geom)
        points = db.session.execute(
            select(func.ST_X(inside), func.ST_Y(inside)).where(Area.level == "grid")
        ).all()
    return password, [tuple(p) for p in points]


LUA = """
local points = {%s}
local path = "%s"
request = function()
  local p = points[math.random(#points)]
  return wrk.format("GET", path .. "lon=" .. p[1] .. "&lat=" .. p[2])
end
"""


def wrk(url_path: str, port: int, clients: int, points, headers=()) -> dict:
    lua = LUA % (",".join(f"{{{x:.7f},{y:.7f}}}" for x, y in points), url_path)
    return common.wrk(lua, f"http://127.0.0.1:{port}", clients, SECONDS, headers)


def rounds(clients: int, points, runs: dict[str, tuple]) -> tuple[dict, dict]:
    """wrk on each named (path, port, headers) ROUNDS times in turn: each one's mean rate, the
    median of its p50s and p99s and its errors summed; and each one's CPU split."""
    seen: dict[str, list[dict]] = {name: [] for name in runs}
    cpu = {name: CpuSplit.empty() for name in runs}
    for _ in range(ROUNDS):
        for name, (path, port, headers) in runs.items():
            with CpuSplit() as split:
                seen[name].append(wrk(path, port, clients, points, headers))
            cpu[name].add(split)
    figures = {
        name: {
            "rps": statistics.mean(r["rps"] for r in got),
            "p50": statistics.median(r["p50"] for r in got),
            "p99": statistics.median(r["p99"] for r in got),
            "errors": sum(r["errors"] for r in got),
        }
        for name, got in seen.items()
    }
    return figures, cpu


RAW_TILE = text("""
    SELECT ST_AsMVT(t, 'grids', 4096, 'geom') FROM (
      SELECT code, name, grid_type, parent_code AS community,
             ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(14, :x, :y), 4096, 64, true)
             AS geom
      FROM areas
      WHERE level = 'grid' AND valid_to IS NULL AND code LIKE '440303%'
        AND ST_Intersects(geom, ST_Transform(ST_TileEnvelope(14, :x, :y), 4326))) t
""")


def tiles(app, token: str, points) -> dict:
    """Sequential z14 tiles over the district through the API, and the raw query for each."""
    coords = [tile_of(x, y, 14) for x, y in random.Random(1).sample(points, 200)]
    api, raw = [], []
    with app.app_context():
        for x, y in coords:
            started = time.perf_counter()
            db.session.execute(RAW_TILE, {"x": x, "y": y}).scalar()
            raw.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    for x, y in coords:
        req = urllib.request.Request(
            f"http://127.0.0.1:{APP_PORT}/api/v1/tiles/grids/14/{x}/{y}.mvt",
            headers={"Authorization": f"Bearer {token}"},
        )
        started = time.perf_counter()
        urllib.request.urlopen(req).read()
        api.append((time.perf_counter() - started) * 1000)
    api, raw = statistics.quantiles(api, n=100), statistics.quantiles(raw, n=100)
    return {"api_p50": api[49], "api_p95": api[94], "raw_p50": raw[49], "raw_p95": raw[94]}


def main() -> None:
    app = create_app()
    password, points = prepare(app)
    servers = [
        serve("wsgi:app", APP_PORT),
        serve("bench.bare:app", BARE_PORT),
        serve("bench.bare:flask_app", FLASK_PORT),
    ]
    try:
        token = login(APP_PORT, "bench_district", password)
        auth = [f"Authorization: Bearer {token}"]
        print(
            f"locate: {len(points)} points, {ROUNDS} turns of {SECONDS}s each, gunicorn {WORKERS} "
            f"sync workers, wrk -t2, {os.cpu_count()} cores"
        )
        print(
            f"{'clients':>7} | {'api req/s':>9} {'p50 ms':>7} {'p99 ms':>7} | "
            f"{'bare req/s':>10} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>5} | "
            f"{'flask req/s':>11} {'ratio':>5}"
        )
        for clients in CLIENTS:
            wrk("/api/v1/locate?", APP_PORT, clients, points[:50], auth)  # warm up
            got, cpu = rounds(
                clients,
                points,
                {
                    "api": ("/api/v1/locate?", APP_PORT, auth),
                    "bare": ("/?", BARE_PORT, ()),
                    "flask": ("/?", FLASK_PORT, ()),
                },
            )
            api, bare, plain = got["api"], got["bare"], got["flask"]
            print(
                f"{clients:>7} | {api['rps']:>9.0f} {api['p50']:>7.2f} {api['p99']:>7.2f} | "
                f"{bare['rps']:>10.0f} {bare['p50']:>7.2f} {bare['p99']:>7.2f} | "
                f"{api['rps'] / bare['rps']:>5.2f} | "
                f"{plain['rps']:>11.0f} {plain['rps'] / bare['rps']:>5.2f}"
                + (
                    f"  (errors: api {api['errors']}, bare {bare['errors']}, "
                    f"flask {plain['errors']})"
                    if api["errors"] or bare["errors"] or plain["errors"]
                    else ""
                )
            )
            record(
                "locate",
                clients=clients,
                api=api,
                bare=bare,
                flask=plain,
                ratio=api["rps"] / bare["rps"],
                flask_ratio=plain["rps"] / bare["rps"],
            )
            n_api, n_bare = api["rps"] * SECONDS * ROUNDS, bare["rps"] * SECONDS * ROUNDS
            print(
                f"{'':>7}   CPU ms a request: API {cpu['api'].per(n_api)}; "
                f"bare {cpu['bare'].per(n_bare)}"
            )
        t = tiles(app, token, points)
        record("tile", **t)
        print(
            f"z14 grid tile, 200 sequential: API p50 {t['api_p50']:.1f} ms, "
            f"p95 {t['api_p95']:.1f} ms; raw ST_AsMVT p50 {t['raw_p50']:.1f} ms, "
            f"p95 {t['raw_p95']:.1f} ms"
        )
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
