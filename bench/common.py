"""What the benchmarks share: gunicorn on loopback for the app or a floor, and wrk to load it."""

import json
import os
import re
import secrets
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from gridgov.accounts import service as accounts
from gridgov.accounts.models import User
from gridgov.extensions import db

ROOT = Path(__file__).resolve().parents[1]
WORKERS = os.environ.get("BENCH_WORKERS", "2")
# What devices upload was captured lately: the server refuses captures older than its window.
CAPTURED_AT = (datetime.now(UTC) - timedelta(days=1)).isoformat()


def record(bench: str, **figures) -> None:
    """Keep a benchmark's figures as a JSON line in BENCH_RESULTS (set by bench/scale.py, which
    tags them with BENCH_SCALE, the population they were taken at); printing stays the
    benchmark's own."""
    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    line = {
        "bench": bench,
        "scale": int(os.environ.get("BENCH_SCALE", "0")),
        "run": os.environ.get("BENCH_RUN", ""),
        "load": round(os.getloadavg()[0], 1),
        **figures,
    }
    with open(path, "a") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def _ticks() -> dict[str, tuple[str, int]]:
    """{pid: (command, CPU ticks)} of every process: user and system time from /proc, with that
    of its children that ended (a postgres backend that closed is counted in the postmaster,
    which reaped it)."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        out[pid] = (stat[stat.index("(") + 1 : stat.rindex(")")], ticks)
    return out


class CpuSplit:
    """CPU time spent while the block runs, by command (gunicorn, postgres, wrk, and this
    process as 'client'), in ms: where a request's time goes, beside its wall-clock rate."""

    COMMANDS = ("gunicorn", "postgres", "wrk")
    children = "wrk"  # what this process ran and waited for in the block

    def __init__(self, children: str | None = None):
        if children:
            self.children = children

    def __enter__(self):
        self._before, self._own = _ticks(), os.times()
        return self

    def _counted(self, pid: str, command: str) -> bool:
        """Whether a process's time counts (a subclass may narrow it to one run's processes)."""
        return command in self.COMMANDS and pid != str(os.getpid())

    def __exit__(self, *exc):
        after, own = _ticks(), os.times()
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        self.ms: dict[str, float] = {}
        for pid, (command, ticks) in after.items():
            spent = ticks - self._before.get(pid, (command, 0))[1]
            if spent and self._counted(pid, command):
                self.ms[command] = self.ms.get(command, 0) + spent * tick_ms
        client = (own.user + own.system - self._own.user - self._own.system) * 1000
        if client >= 1:
            self.ms["client"] = client
        # A wrk (or pgbench) run is over, and gone from /proc, when the block ends: its time
        # is this process's children's.
        done = own.children_user + own.children_system
        children = (done - self._own.children_user - self._own.children_system) * 1000
        if children >= 1:
            self.ms[self.children] = self.ms.get(self.children, 0) + children

    @classmethod
    def empty(cls) -> "CpuSplit":
        """A split of no time, to add runs' splits to."""
        split = cls()
        split.ms = {}
        return split

    def add(self, other: "CpuSplit") -> None:
        for command, spent in other.ms.items():
            self.ms[command] = self.ms.get(command, 0) + spent

    def per(self, n: int) -> str:
        return ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(self.ms.items()))


def serve(target: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            WORKERS,
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(
                f"http://127.0.0.1:{port}/healthz"
                if target == "wsgi:app"
                else f"http://127.0.0.1:{port}/?lon=114.1&lat=22.55",
                timeout=1,
            )
            return proc
        except urllib.error.HTTPError:
            return proc  # it answers (a view that takes no GET)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"{target} did not start")


def account(app, username: str, role: str, areas: list[str]) -> str:
    """A fresh password for the bench's own account (created on the first run, unlocked after)."""
    with app.app_context():
        password = "bench-" + secrets.token_urlsafe(12)
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            accounts.create_user(None, username, password, role, areas)
        else:
            accounts.update_user(None, user.id, {"password": password, "unlock": True})
    return password


def login(port: int, username: str, password: str) -> str:
    """An access token from the app served on port."""
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login", body, {"Content-Type": "application/json"}
    )
    return json.load(urllib.request.urlopen(request, timeout=30))["access_token"]


def wrk(lua: str, url: str, clients: int, seconds: float, headers=()) -> dict:
    """wrk (2 threads, `clients` connections) for `seconds` with a Lua script: its rate, p50 and
    p99 in ms, requests done and answers not 2xx."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    cmd = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", script.name]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    return {
        "rps": rate,
        "p50": _ms(lat["50"]),
        "p99": _ms(lat["99"]),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def in_threads(count: int, target) -> float:
    """target() in `count` threads at once: the seconds until the last one ended."""
    started = time.perf_counter()
    threads = [threading.Thread(target=target) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started
