"""The scaling table: one bench database grown to each population in SCALE_PERSONS, and at each
size the statistics, locate and tile, upload and CSV export benchmarks, each against its floor
in the same run. Their figures are kept as JSON lines in BENCH_RESULTS (bench/results/scale.jsonl
unless set), tagged with the size and the run; `python -m bench.plot` draws them.

    BENCH_DB_NAME=gridgov_scale SCALE_PERSONS="1000000 3000000 10000000" BENCH=scale make bench

10,000,000 persons take hours on a 2-core machine (generation, the 24-month snapshot job and the
recount of `stats verify`) and about 12 GB; the default is 1,000,000 and 3,000,000. Not part of
`make test` or the default `make bench`.
"""

import os
import subprocess
import sys
import time

from bench.common import ROOT

SIZES = [int(n) for n in os.environ.get("SCALE_PERSONS", "1000000 3000000").split()]
RESULTS = os.environ.get("BENCH_RESULTS", str(ROOT / "bench/results/scale.jsonl"))
# Each benchmark with what makes it run on the grown population instead of its own seed rows.
STEPS = (
    ("stats", {}),
    ("locate", {"BENCH_SECONDS": "8"}),
    ("upload", {"BENCH_PERSONS": "0", "BENCH_HOUSES": "5000"}),
    ("exports", {"EXPORT_FORMATS": "csv"}),
)


def main() -> int:
    run = time.strftime("%Y-%m-%dT%H:%M")
    for persons in SIZES:
        env = {
            **os.environ,
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
