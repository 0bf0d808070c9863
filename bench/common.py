"""What the benchmarks share: a gunicorn on loopback for the app or the bare floor."""

import json
import os
import secrets
import subprocess
import time
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
