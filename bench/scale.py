"""The scaling table: for each population in SCALE_PERSONS a database of its own
(gridgov_scale_<persons>, made afresh: the demo district, then `flask demo generate` of that
many people with their history), and at each size the statistics, locate and tile, upload,
CSV export and morning-download benchmarks, each against its floor in the same run. Their
figures are kept as JSON lines in BENCH_RESULTS (bench/results/scale.jsonl unless set), tagged
with the size and the run; `python -m bench.plot` draws them.

    SCALE_PERSONS="1000000 3000000 10000000" BENCH=scale make bench

10,000,000 persons take an hour or more on a 2-core machine (generation with its history days,
the naive GROUP BYs and the recount of `stats verify`) and about 12 GB; the default is
1,000,000 and 3,000,000. SCALE_FRESH=0 keeps a size's database from an earlier run (grown to
the size if it holds fewer people), so later steps can run on it. Not part of `make test` or
the default `make bench`.
"""

import os
import subprocess
import sys
import time

from bench.common import ROOT

SIZES = [int(n) for n in os.environ.get("SCALE_PERSONS", "1000000 3000000").split()]
RESULTS = os.environ.get("BENCH_RESULTS", str(ROOT / "bench/results/scale.jsonl"))
# Each benchmark with what makes it run on the grown population instead of its own seed rows.
ALL_STEPS = (
    ("stats", {}),
    ("locate", {"BENCH_SECONDS": "3"}),
    ("upload", {"BENCH_PERSONS": "0", "BENCH_HOUSES": "5000"}),
    ("exports", {"EXPORT_FORMATS": "csv"}),
    ("morning", {}),
)
# SCALE_STEPS="stats morning" runs some of them (at 10M each takes minutes to an hour).
STEPS = [s for s in ALL_STEPS if s[0] in os.environ.get("SCALE_STEPS", "").split()] or ALL_STEPS


FRESH = os.environ.get("SCALE_FRESH", "1") != "0"


def database(persons: int) -> str:
    """A database with the demo district loaded for one size: made afresh unless SCALE_FRESH=0."""
    name = f"gridgov_scale_{persons}"
    command = [str(ROOT / "scripts/db.sh"), name] + (["--fresh"] if FRESH else [])
    url = subprocess.run(command, check=True, capture_output=True, text=True)
    env = {**os.environ, "DATABASE_URL": url.stdout.strip()}
    flask = str(ROOT / ".venv/bin/flask")
    for command in (["db", "upgrade"], ["codes", "load"], ["demo", "load"]):
        subprocess.run([flask, *command], check=True, env=env, cwd=ROOT, capture_output=True)
    return env["DATABASE_URL"]


def main() -> int:
    # BENCH_RUN names the run (given: more steps of an earlier run, e.g. with SCALE_FRESH=0).
    run = os.environ.get("BENCH_RUN") or time.strftime("%Y-%m-%dT%H:%M")
    for persons in SIZES:
        env = {
            **os.environ,
            "DATABASE_URL": database(persons),
            "BENCH_RESULTS": RESULTS,
            "BENCH_SCALE": str(persons),
            "BENCH_RUN": run,
            "STATS_PERSONS": str(persons),
            "EXPORT_PERSONS": str(persons),
        }
        for name, extra in STEPS:
            print(f"\n## {persons:,} persons: bench.{name}", flush=True)
            subprocess.run(
                [sys.executable, "-m", f"bench.{name}"], env=env | extra, check=True, cwd=ROOT
            )
    print(f"\nfigures kept in {RESULTS}; draw them with: python -m bench.plot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
