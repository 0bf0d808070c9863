"""What the benchmarks share: a gunicorn on loopback for the app or the bare floor."""

import json
import os
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKERS = "2"
# What devices upload was captured lately: the server refuses captures older than its window.
CAPTURED_AT = (datetime.now(UTC) - timedelta(days=1)).isoformat()


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
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"{target} did not start")


def login(port: int, username: str, password: str) -> str:
    """An access token from the app served on port."""
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login", body, {"Content-Type": "application/json"}
    )
    return json.load(urllib.request.urlopen(request, timeout=30))["access_token"]
