"""Benchmark the statistics API on a district-scale population against the naive floor: the same
questions answered by a plain GROUP BY over the record tables, in the same run.

Fills the bench database with `flask demo generate` up to STATS_PERSONS (default 3,000,000)
people first if it holds fewer. Requests go one at a time over a kept-alive connection to
gunicorn (2 workers); each question is asked ROUNDS times and reported as p50/p95, after a
first request that may keep a past month end (reported apart). A past day further back than a
request may keep (503 not_counted_yet) is asked again after `flask stats snapshot`, the job that
keeps it. No assertions: the figures go to the README.
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

from sqlalchemy import text

from bench.common import ROOT, account, login, record, serve
from gridgov import create_app
from gridgov.extensions import db
from gridgov.stats import queries, store

PORT = 5093
PERSONS = int(os.environ.get("STATS_PERSONS", "3000000"))
ROUNDS = int(os.environ.get("STATS_ROUNDS", "40"))
NAIVE_ROUNDS = int(os.environ.get("STATS_NAIVE_ROUNDS", "5"))  # each takes seconds at scale
DISTRICT, STREET = "440303000000", "440303001000"

# The plain GROUP BY a report writer would reach for: people by area, kind and age band, houses
# by area and rental, straight from the record tables.
NAIVE = """
SELECT child, kind, band, count(*) FROM (
  SELECT {child} AS child, kind,
    ((extract(year FROM age(current_date, birth_date)) / 20)::int)::text AS band
  FROM persons WHERE deleted_at IS NULL AND grid_code LIKE '{prefix}%') p GROUP BY 1, 2, 3
UNION ALL
SELECT {child}, rented::text, (occupants = 0)::text, count(*) FROM houses
WHERE deleted_at IS NULL AND grid_code LIKE '{prefix}%' GROUP BY 1, 2, 3
"""
CHILD = {"street": "left(grid_code, 9)", "community": "left(grid_code, 12)", "grid": "grid_code"}


def fill(app) -> dict:
    with app.app_context():
        have = db.session.scalar(text("SELECT count(*) FROM persons"))
    generated, added, history = None, max(PERSONS - have, 0), None
    if added:
        started = time.perf_counter()
        out = subprocess.run(
            [str(ROOT / ".venv/bin/flask"), "demo", "generate", "--persons", str(added)],
            check=True,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        generated = time.perf_counter() - started
        history = json.loads(out.strip().splitlines()[-1])["history_seconds"]
    folded = None
    if generated:
        started = time.perf_counter()
        subprocess.run([str(ROOT / ".venv/bin/flask"), "stats", "fold"], check=True, cwd=ROOT)
        folded = time.perf_counter() - started
    with app.app_context():
        if generated:
            db.session.execute(text("ANALYZE"))
        counts = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM houses), "
                "(SELECT count(*) FROM residences), "
                "pg_size_pretty(pg_database_size(current_database()))"
            )
        ).one()
    return {
        "persons": counts[0],
        "houses": counts[1],
        "residences": counts[2],
        "size": counts[3],
        "generated_s": generated,
        "generated_persons": added,
        "history_s": history,
        "folded_s": folded,
    }


def timed(call, rounds: int = ROUNDS) -> tuple[float, float, float]:
    """(first, p50, p95) in ms: the first call may count a past day into a snapshot."""
    started = time.perf_counter()
    call()
    first = (time.perf_counter() - started) * 1000
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return first, statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


class NotKept(Exception):
    """The server left the day to the job (503 not_counted_yet)."""


def api(conn: http.client.HTTPConnection, token: str, path: str):
    def call():
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read()
        if response.status == 503 and b"not_counted_yet" in body:
            raise NotKept(path)
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
        return body  # read, not parsed: the floor's rows are not made into objects either

    return call


SHAPES = text(
    "SELECT code, ST_AsGeoJSON(geom, 7) FROM areas "
    "WHERE level = :level AND code LIKE :prefix || '%'"
)


def raw_read(
    app, prefix: str, level: str, day: str | None = None, anchor: str | None = None, shapes=False
):
    """The floor of the fast path: the statement(s) the endpoint runs for the counts, straight
    through the session, no HTTP, no Python after the rows (today, by children: one statement,
    one row an area, the pending deltas, the children's names and whether a fold is due; a
    past day: `anchor`'s kept counts and the changes between)."""
    today = date.today()
    month = today.replace(day=1)
    if day is None:
        n = app.config["GRIDGOV_STATS_FOLD_ROWS"]
        params = {"prefix": prefix, "level": level, "month": month, "day": today, "n": n}
        statements = [queries.today(level, True, True)] + [SHAPES] * shapes
    else:
        params = {"prefix": prefix, "level": level, "month": month, "day": day}
        params.update(queries.span(date.fromisoformat(anchor), date.fromisoformat(day)))
        statements = [text(queries.per_child(queries.shifted(level, "kept")))]

    def call():
        with app.app_context():
            db.session.execute(text("SET jit = off"))
            for statement in statements:
                db.session.execute(statement, params).all()

    return call


def naive(app, prefix: str, level: str):
    sql = text(NAIVE.format(child=CHILD[level], prefix=prefix))

    def call():
        with app.app_context():
            db.session.execute(sql).all()

    return call


def series_questions(how: str) -> list:
    """24 months up to this one, for the district and a street."""
    today = date.today()
    first = date(today.year - 2 + (today.month == 12), today.month % 12 + 1, 1)
    span = f"from={first:%Y-%m}&to={today:%Y-%m}"
    return [
        (
            f"district series, 24 months, {how}",
            f"/api/v1/stats/{DISTRICT}/series?{span}",
            ("44030", "street"),
        ),
        (
            f"street series, 24 months, {how}",
            f"/api/v1/stats/{STREET}/series?{span}",
            ("440303001", "grid"),
        ),
    ]


def ask(app, conn, token: str, questions: list) -> list:
    """Figures of each question; those the server left to the job are returned. A question
    with a raw floor (the endpoint's own statements) reports API p95 / raw p95 too."""
    left = []
    for name, path, (prefix, level), *floor in questions:
        try:
            first, p50, p95 = timed(api(conn, token, path))
        except NotKept:
            print(f"{name:46}{'503 not_counted_yet: left to the job':>44}")
            record("stats", question=name, answer="503 not_counted_yet")
            left.append((name, path, (prefix, level), *floor))
            continue
        _, n50, n95 = timed(naive(app, prefix, level), NAIVE_ROUNDS)
        figures = "".join(f"{v:10.1f}" for v in (first, p50, p95, n50, n95))
        raw = ""
        if floor:
            _, r50, r95 = timed(floor[0](app))
            raw = f"{r50:10.1f}{r95:10.1f}{p95 / r95:8.2f}"
        print(f"{name:46}{figures}{n50 / p50:9.1f}x{raw}  (load {os.getloadavg()[0]:.1f})")
        record("stats", question=name, first=first, p50=p50, p95=p95, naive_p50=n50)
    return left


def _farthest(kept: date) -> list[tuple[str, str]]:
    """(day, its anchor) for the day after `kept` and the day before it that lie farthest from
    their anchors (the nearest kept day of their month)."""
    today = date.today()
    june = [kept.replace(day=d) for d in range(1, 31)]
    away = {d: store.nearest_kept(d, today) for d in june}
    after = max((d for d in june if d > kept), key=lambda d: (abs((away[d] - d).days), -d.day))
    before = max((d for d in june if d < kept), key=lambda d: (abs((away[d] - d).days), d.day))
    return [(d.isoformat(), away[d].isoformat()) for d in (after, before)]


def _away(day: str, anchor: str) -> str:
    n = abs((date.fromisoformat(day) - date.fromisoformat(anchor)).days)
    return f"{n} day" + ("s" if n != 1 else "")


def main() -> int:
    app = create_app()
    facts = fill(app)
    print(
        f"population: {facts['persons']:,} persons, {facts['houses']:,} houses, "
        f"{facts['residences']:,} residences; database {facts['size']}"
        + (
            f"; generated in {facts['generated_s']:.0f} s, of which keeping its history days "
            f"{facts['history_s']:.0f} s"
            if facts["generated_s"]
            else ""
        )
        + (f", first fold {facts['folded_s']:.0f} s" if facts["folded_s"] else "")
    )
    record("population", **facts)
    password = account(app, "bench_district", "district_staff", [DISTRICT])
    server = serve("wsgi:app", PORT)
    try:
        token = login(PORT, "bench_district", password)
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        # A kept day of mid-June 2025, and the days after and before it that lie farthest from
        # the kept day they are counted from (store.nearest_kept).
        month_end, between = "2025-06-30", "2025-06-16"
        off = _farthest(date.fromisoformat(between))
        just_ended = date.today().replace(day=1) - timedelta(days=1)
        questions = [
            ("district by street", f"/api/v1/stats/{DISTRICT}?by=street", ("44030", "street")),
            (
                "district by community",
                f"/api/v1/stats/{DISTRICT}?by=community",
                ("44030", "community"),
                lambda app: raw_read(app, "44030", "community"),
            ),
            ("street by grid", f"/api/v1/stats/{STREET}?by=grid", ("440303001", "grid")),
            (
                "choropleth, district by community",
                f"/api/v1/stats/{DISTRICT}/features?by=community",
                ("44030", "community"),
                lambda app: raw_read(app, "44030", "community", shapes=True),
            ),
            (
                f"district by street as of {just_ended} (just ended)",
                f"/api/v1/stats/{DISTRICT}?by=street&as_of={just_ended}",
                ("44030", "street"),
            ),
            (
                f"district by street as of {month_end}",
                f"/api/v1/stats/{DISTRICT}?by=street&as_of={month_end}",
                ("44030", "street"),
            ),
            (
                f"street by grid as of {month_end}",
                f"/api/v1/stats/{STREET}?by=grid&as_of={month_end}",
                ("440303001", "grid"),
            ),
            (
                f"district by community as of {between}",
                f"/api/v1/stats/{DISTRICT}?by=community&as_of={between}",
                ("44030", "community"),
            ),
            *[
                (
                    f"district by community as of {day}, {_away(day, anchor)} from a kept day",
                    f"/api/v1/stats/{DISTRICT}?by=community&as_of={day}",
                    ("44030", "community"),
                    lambda app, day=day, anchor=anchor: raw_read(
                        app, "44030", "community", day, anchor
                    ),
                )
                for day, anchor in off
            ],
        ]
        print(
            f"\n{ROUNDS} requests each ({NAIVE_ROUNDS} naive), one at a time, in ms; naive = a "
            "plain GROUP BY; raw = the endpoint's own statements through the session; API first "
            "= the first request (may keep a day)"
        )
        heads = ("API first", "API p50", "API p95", "naive p50", "naive p95")
        tail = ("naive/API", "raw p50", "raw p95", "API/raw")
        print(f"{'question':46}" + "".join(f"{h:>10}" for h in heads + tail))
        left = ask(app, conn, token, questions + series_questions("nothing kept ahead"))
        if left:
            started = time.perf_counter()
            subprocess.run(
                [str(ROOT / ".venv/bin/flask"), "stats", "snapshot", "--months", "24"],
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            seconds = time.perf_counter() - started
            print(f"(flask stats snapshot --months 24: {seconds:.0f} s)")
            record("stats job", job="snapshot --months 24", seconds=seconds)
            ask(app, conn, token, [(f"{name}, after job", *rest) for name, *rest in left])
        for day in (between, *(d for d, _ in off)):
            _, r50, r95 = timed(raw_read(app, "44030", "community", day, month_end))
            print(
                f"(district by community as of {day} counted from {month_end}, as before: "
                f"statements p50 {r50:.1f} ms, p95 {r95:.1f} ms)"
            )
        started = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv/bin/flask"), "stats", "verify", DISTRICT, "--as-of", month_end],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
        print(
            f"(flask stats verify {DISTRICT} --as-of {month_end}: "
            f"{seconds:.0f} s, every level equal to a recount)"
        )
        record("stats job", job=f"verify --as-of {month_end}", seconds=seconds)
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
