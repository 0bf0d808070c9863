"""Draw the scaling table's figures (bench/scale.py's JSON lines) as one PNG, each figure against
its floor, by population, from the newest run at each size; and print the same figures as the
markdown table the README shows.

    .venv/bin/python -m bench.plot [results.jsonl] [out.png]   (docs/bench/scale.png)
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: a file only
import matplotlib.pyplot as plt  # noqa: E402

from bench.common import ROOT  # noqa: E402

QUESTIONS = ("district by street", "district by community", "street by grid")
BETWEEN = "district by community as of a day between kept days (the slowest)"


def newest(path: Path) -> dict[int, list[dict]]:
    """{size: the lines of the newest run that measured that size}."""
    by_size: dict[int, dict[str, list[dict]]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            by_size.setdefault(row["scale"], {}).setdefault(row["run"], []).append(row)
    return {size: runs[max(runs)] for size, runs in sorted(by_size.items()) if size}


def pick(rows: list[dict], bench: str, **match) -> dict | None:
    """The last matching line: a step run again in the same run supersedes its first figures."""
    found = None
    for row in rows:
        if row["bench"] == bench and all(row.get(k) == v for k, v in match.items()):
            found = row
    return found


def series(data: dict[int, list[dict]], value) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for size, rows in data.items():
        y = value(rows)
        if y is not None:
            xs.append(size)
            ys.append(y)
    return xs, ys


def draw(data: dict[int, list[dict]], out: Path) -> None:
    fig, (stats, ratios, jobs) = plt.subplots(1, 3, figsize=(16, 5))
    for i, q in enumerate(QUESTIONS):
        for key, style, label in (("p95", "-o", "API p95"), ("naive_p50", ":x", "GROUP BY p50")):
            xs, ys = series(data, lambda r, q=q, k=key: (pick(r, "stats", question=q) or {}).get(k))
            stats.plot(xs, ys, style, color=f"C{i}", label=f"{q}: {label}")
    xs, ys = series(data, lambda r: (_between(r) or {}).get("p95"))
    stats.plot(xs, ys, "-s", color="C3", label="a day between kept days, the slowest: API p95")
    stats.axhline(200, color="C3", linestyle="--", linewidth=0.7, label="aim for a past day: 200")
    stats.set(xscale="log", yscale="log", xlabel="persons", ylabel="ms", title="Statistics")
    stats.legend(fontsize=7)
    measures = {
        "locate / bare (16 clients)": lambda r: (pick(r, "locate", clients=16) or {}).get("ratio"),
        "upload / set-based insert": lambda r: _ratio(r, "API upload", "raw upsert, set-based"),
        "CSV export / COPY": lambda r: (pick(r, "export", format="csv") or {}).get("ratio"),
        "raw tile / API tile (p50)": lambda r: _tile(r),
        "morning download / raw reads": lambda r: (pick(r, "morning") or {}).get("ratio"),
    }
    top = 1.05
    for label, value in measures.items():
        xs, ys = series(data, value)
        ratios.plot(xs, ys, "-o", label=label)
        top = max([top, *(y * 1.1 for y in ys)])
    ratios.axhline(1, color="grey", linewidth=0.5)
    ratios.set(xscale="log", ylim=(0, top), xlabel="persons", title="Ratio to the floor")
    ratios.legend(fontsize=7)
    for label, value in {
        "generation": lambda r: _population(r, "generated_s"),
        "of which its history days": lambda r: _population(r, "history_s"),
        "stats snapshot, 24 months": lambda r: _job(r, "snapshot"),
        "stats verify (a month end)": lambda r: _job(r, "verify"),
    }.items():
        jobs.plot(*series(data, value), "-o", label=label)
    jobs.set(xscale="log", yscale="log", xlabel="persons", ylabel="s", title="Jobs")
    jobs.legend(fontsize=7)
    for ax in (stats, ratios, jobs):
        ax.set_xticks(list(data), [f"{n / 1e6:g}M" for n in data])
        ax.minorticks_off()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


def _population(rows, key: str):
    """The population line's `key`, from the last line that has it (a step run again on the
    same database generates nothing: its line has no generation times)."""
    found = [r[key] for r in rows if r["bench"] == "population" and r.get(key)]
    return found[-1] if found else None


def _upload(rows, path: str) -> float | None:
    """The rate of the upload path named `path` (the floor's name goes on: '(floor)')."""
    found = None
    for row in rows:
        if row["bench"] == "upload" and row["path"].split(" (")[0] == path:
            found = row["records_per_s"]
    return found


def _ratio(rows, api: str, floor: str) -> float | None:
    a, f = _upload(rows, api), _upload(rows, floor)
    return a / f if a and f else None


def _tile(rows) -> float | None:
    t = pick(rows, "tile")
    return t["raw_p50"] / t["api_p50"] if t else None


def _job(rows, job: str) -> float | None:
    found = None
    for row in rows:
        if row["bench"] == "stats job" and row["job"].startswith(job):
            found = row["seconds"]
    return found


def _between(rows) -> dict | None:
    """The slowest of the stats bench's mid-June 2025 days by community (a kept day and the
    days that lie farthest from one: the slowest is one of those)."""
    days = {
        r["question"].split(",")[0]: r  # the last line of a question: a step run again supersedes
        for r in rows
        if r["bench"] == "stats"
        and "p95" in r
        and r["question"].startswith("district by community as of 2025-06-")
    }
    return max(days.values(), key=lambda r: r["p95"], default=None)


def _stats(rows, question: str) -> str:
    r = _between(rows) if question == BETWEEN else pick(rows, "stats", question=question)
    if not r or "p50" not in r:
        return (r or {}).get("answer", "")
    return f"{r['p50']:.1f} / {r['p95']:.1f} ({r['naive_p50']:,.0f})"


def _vs(api, floor, unit="") -> str:
    if api is None or floor is None:
        return ""
    return f"{api:,.0f} / {floor:,.0f}{unit} = {api / floor:.2f}"


def table(data: dict[int, list[dict]]) -> str:
    """The figures of each size side by side, as a markdown table."""

    def locate(rows, key):
        r = pick(rows, "locate", clients=16)
        return r[key]["rps"] if r else None

    def export(rows, key):
        r = pick(rows, "export", format="csv")
        return None if not r else r["rows"] / (r["seconds"] if key == "job" else r["copy_s"])

    def seconds(value):
        return "" if value is None else f"{value:,.0f}"

    lines = {
        "persons / houses / residences": lambda r: "{:,} / {:,} / {:,}".format(
            *(_population(r, k) or 0 for k in ("persons", "houses", "residences"))
        ),
        "database size": lambda r: _population(r, "size") or "",
        "generated in s (of which its history days)": lambda r: (
            f"{seconds(_population(r, 'generated_s'))} ({seconds(_population(r, 'history_s'))})"
        ),
    }
    for q in (*QUESTIONS, "choropleth, district by community"):
        lines[f"{q}: p50 / p95 ms (GROUP BY p50)"] = lambda r, q=q: _stats(r, q)
    for q in (
        "district by street as of 2025-06-30",
        BETWEEN,
        "district series, 24 months, nothing kept ahead",
    ):
        lines[f"{q.removesuffix(', nothing kept ahead')}: p50 / p95 ms (GROUP BY p50)"] = (
            lambda r, q=q: _stats(r, q)
        )
    lines |= {
        "locate, 16 clients: API / bare req/s": lambda r: _vs(locate(r, "api"), locate(r, "bare")),
        "z14 tile p50: raw / API ms": lambda r: (
            ""
            if not (t := pick(r, "tile"))
            else f"{t['raw_p50']:.1f} / {t['api_p50']:.1f} = {t['raw_p50'] / t['api_p50']:.2f}"
        ),
        "upload: API / set-based insert records/s": lambda r: _vs(
            _upload(r, "API upload"), _upload(r, "raw upsert, set-based")
        ),
        "CSV export: job / COPY rows/s": lambda r: _vs(export(r, "job"), export(r, "copy")),
        "morning download: API / raw reads rows/s": lambda r: (
            ""
            if not (m := pick(r, "morning"))
            else _vs(m["api_rows_per_s"], m["api_rows_per_s"] / m["ratio"])
        ),
        "stats verify of a month end, s": lambda r: seconds(_job(r, "verify")),
    }
    head = "| | " + " | ".join(f"{n:,} persons" for n in data) + " |"
    rule = "|---|" + "---:|" * len(data)
    body = [
        f"| {name} | " + " | ".join(f(rows) for rows in data.values()) + " |"
        for name, f in lines.items()
    ]
    return "\n".join([head, rule, *body])


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else ROOT / "bench/results/scale.jsonl"
    out = Path(argv[2]) if len(argv) > 2 else ROOT / "docs/bench/scale.png"
    data = newest(source)
    draw(data, out)
    print(table(data))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
