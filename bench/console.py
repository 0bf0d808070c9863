"""Console screen timings in headless Chromium, and the size of the built console.

From navigation (a page load of the screen's URL, the clerk already logged in: the refresh
token in the tab) to: the map showing every community of the district coloured; a street's
statistics table with all its rows; the 楼盘表 of the building nearest 200 rooms. 10 loads
each after one warm-up load (reported apart); then the gzipped JS and CSS of the build.

    DATABASE_URL=... .venv/bin/python -m bench.console   (BENCH=console make bench)
"""

import gzip
import statistics
import time

from playwright.sync_api import sync_playwright
from sqlalchemy import func, select

from bench import browser as b
from gridgov.extensions import db
from gridgov.hierarchy.models import Area
from gridgov.people.models import Person

LOADS = 10
ROOMS = 200  # the 楼盘表: the building nearest this many rooms


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(page, path: str, ready) -> tuple[float, list[float]]:
    times = []
    for _ in range(LOADS + 1):
        started = time.perf_counter()
        page.goto(b.url(path))
        ready()
        times.append((time.perf_counter() - started) * 1000)
    return times[0], times[1:]


def bundle() -> dict[str, tuple[int, int]]:
    sizes: dict[str, tuple[int, int]] = {}
    for path in (b.DIST / "assets").iterdir():
        kind = path.suffix.lstrip(".")
        raw = path.read_bytes()
        total, packed = sizes.get(kind, (0, 0))
        sizes[kind] = (total + len(raw), packed + len(gzip.compress(raw, 9)))
    return sizes


def main() -> int:
    app, password = b.prepare()
    with app.app_context():
        persons = db.session.scalar(select(func.count()).select_from(Person))
        communities = db.session.scalar(
            select(func.count()).where(Area.level == "community", Area.valid_to.is_(None))
        )
        street_rows = 1 + db.session.scalar(
            select(func.count()).where(
                Area.level == "community",
                Area.parent_code == b.STREET,
                Area.valid_to.is_(None),
            )
        )
    building, rooms = b.building_of(app, ROOMS)
    print(
        f"console: {persons:,} persons; {communities} communities; "
        f"building {building}: {rooms} rooms"
    )
    server = b.start_server()
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=b.CHROMIUM, args=["--no-sandbox"])
            page = chromium.new_context(viewport={"width": 1400, "height": 860}).new_page()
            page.set_default_timeout(60_000)
            b.log_in(page, password)
            screens = [
                (
                    f"map, {communities} communities coloured",
                    "map",
                    lambda: page.wait_for_function(b.MAP_COLOURED, arg=communities),
                ),
                (
                    f"street statistics table ({street_rows} rows)",
                    f"stats/{b.STREET}",
                    lambda: page.wait_for_function(
                        "n => document.querySelectorAll("
                        "'[data-test=stats-table] .el-table__body-wrapper .el-table__row')"
                        ".length === n && document.querySelector('[data-test=as-of-shown]')",
                        arg=street_rows,
                    ),
                ),
                (
                    f"楼盘表, {rooms} rooms",
                    f"buildings/{building}",
                    lambda: page.wait_for_function(
                        "n => document.querySelectorAll('[data-test=emap] .room').length === n",
                        arg=rooms,
                    ),
                ),
            ]
            print(f"\n{LOADS} page loads each after a first one, headless Chromium, logged in")
            print("| screen | first ms | p50 ms | p95 ms |\n|---|---:|---:|---:|")
            for name, path, ready in screens:
                first, times = timed(page, path, ready)
                p50, p95 = statistics.median(times), pct(times, 0.95)
                print(f"| {name} | {first:.0f} | {p50:.0f} | {p95:.0f} |")
            chromium.close()
    finally:
        server.terminate()
        server.wait(10)
    sizes = bundle()
    print("\n| built files | raw KiB | gzipped KiB |\n|---|---:|---:|")
    for kind, (raw, packed) in sorted(sizes.items()):
        print(f"| {kind} | {raw / 1024:.0f} | {packed / 1024:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
