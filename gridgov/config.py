"""Settings, read from the environment when the app is created (never at import time)."""

import os
from datetime import timedelta
from pathlib import Path

# The data files the app loads (see geodata/README.md).
GEODATA_DIR = Path(__file__).resolve().parent.parent / "geodata"


def _database_url(url: str) -> str:
    # Accept the usual libpq form and choose psycopg 3 as the driver.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _int_between(name: str, default: int, low: int, high: int) -> int:
    value = _int(name, default)
    if not low <= value <= high:
        raise RuntimeError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set (make run generates development values)")
    return value


def _session_options(timezone: str) -> str:
    options = f"-c timezone={timezone} -c jit=off"
    # Set by gunicorn.conf.py for the server only (jobs and the CLI run as long as they need):
    # a statement past it is cancelled and its request answered 503, before the worker timeout.
    timeout = _int("GRIDGOV_STATEMENT_TIMEOUT_MS", 0)
    if timeout > 0:
        options += f" -c statement_timeout={timeout}"
    return options


def from_env() -> dict:
    """Build the Flask config mapping from DATABASE_URL and GRIDGOV_* variables."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("DATABASE_URL is not set (make run and make test set it for you)")
    secret = os.environ.get("GRIDGOV_JWT_SECRET")
    if not secret or len(secret) < 32:
        raise RuntimeError("GRIDGOV_JWT_SECRET must be set to at least 32 characters")
    timezone = os.environ.get("GRIDGOV_TIMEZONE", "Asia/Shanghai")
    return {
        # The district's clock: what "today" is for statistics and dated records.
        "GRIDGOV_TIMEZONE": timezone,
        # Reserved building numbers no building has used are released after this many days.
        "GRIDGOV_RESERVATION_DAYS": _int("GRIDGOV_RESERVATION_DAYS", 30),
        # A rental house with more people than this counts as overcrowded (群租).
        "GRIDGOV_CROWDED_ABOVE": _int("GRIDGOV_CROWDED_ABOVE", 6),
        # Pending count deltas above which a statistics request folds them into the totals.
        "GRIDGOV_STATS_FOLD_ROWS": _int("GRIDGOV_STATS_FOLD_ROWS", 5000),
        # Changes since a month end above which a request leaves keeping it to a job.
        "GRIDGOV_STATS_KEEP_CHANGES": _int("GRIDGOV_STATS_KEEP_CHANGES", 20_000),
        "GRIDGOV_SERIES_MAX_MONTHS": _int("GRIDGOV_SERIES_MAX_MONTHS", 60),
        # Whether street staff may approve a grid redraw of their street (else district staff).
        "GRIDGOV_STREET_MAY_APPROVE": os.environ.get("GRIDGOV_STREET_MAY_APPROVE", "") == "1",
        # Rows an export reads per query while it streams.
        "GRIDGOV_EXPORT_PAGE_ROWS": _int("GRIDGOV_EXPORT_PAGE_ROWS", 5000),
        # A record list longer than this is written by the export worker, not in the request.
        "GRIDGOV_EXPORT_JOB_ABOVE_ROWS": _int("GRIDGOV_EXPORT_JOB_ABOVE_ROWS", 50_000),
        # Where the worker keeps finished export files, and for how long.
        "GRIDGOV_EXPORT_DIR": os.environ.get(
            "GRIDGOV_EXPORT_DIR", str(GEODATA_DIR.parent / "instance" / "exports")
        ),
        "GRIDGOV_EXPORT_KEEP_HOURS": _float("GRIDGOV_EXPORT_KEEP_HOURS", 24),
        # A worker renews its claim on a job this often; a claim not renewed for the lease
        # is taken over by another worker (the first died).
        "GRIDGOV_EXPORT_LEASE_SECONDS": _float("GRIDGOV_EXPORT_LEASE_SECONDS", 60),
        # AES-GCM keys for personal values, "VERSION:BASE64,..."; the highest version encrypts.
        "GRIDGOV_DATA_KEYS": _required("GRIDGOV_DATA_KEYS"),
        "GRIDGOV_BLIND_INDEX_KEY": _required("GRIDGOV_BLIND_INDEX_KEY"),
        "SQLALCHEMY_DATABASE_URI": _database_url(url),
        # No pre-ping: it costs a round trip per request. A connection that died with a database
        # restart fails its request with a 503 and SQLAlchemy then replaces the whole pool.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_size": _int("GRIDGOV_DB_POOL_SIZE", 5),
            "pool_recycle": 3600,
            # A failed statement's parameters are people's names and addresses: never in a
            # message that may reach a log.
            "hide_parameters": True,
            # Dates the database derives (the day a house changed cell) are the district's.
            # No JIT: compiling costs 0.3 s and more on queries whose cost estimate is high
            # only because of correlated look-ups that run in microseconds.
            "connect_args": {"options": _session_options(timezone)},
        },
        "JWT_SECRET_KEY": secret,
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=_int("GRIDGOV_ACCESS_MINUTES", 15)),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=_int("GRIDGOV_REFRESH_DAYS", 30)),
        "JWT_ALGORITHM": "HS256",
        "JWT_DECODE_LEEWAY": 5,
        # Square metres below which an overlap, gap or overhang is treated as drawing noise.
        "GRIDGOV_TOPOLOGY_TOLERANCE_M2": _float("GRIDGOV_TOPOLOGY_TOLERANCE_M2", 1.0),
        # How long a worker may remember who a token belongs to (changes clear it at once).
        "GRIDGOV_PRINCIPAL_CACHE_SECONDS": _float("GRIDGOV_PRINCIPAL_CACHE_SECONDS", 10.0),
        # A grid worker's record captured farther than this from their cells: flag or reject.
        "GRIDGOV_GEOFENCE": os.environ.get("GRIDGOV_GEOFENCE", "flag"),
        "GRIDGOV_GEOFENCE_METRES": _float("GRIDGOV_GEOFENCE_METRES", 100.0),
        "GRIDGOV_VISIT_MAX_DISTANCE_M": _float("GRIDGOV_VISIT_MAX_DISTANCE_M", 100.0),
        # Upload outcomes are kept this long for replays (`flask sync prune`); a record captured
        # longer ago is refused, so a retry from before the window can never apply twice.
        "GRIDGOV_SYNC_KEEP_DAYS": _int_between("GRIDGOV_SYNC_KEEP_DAYS", 365, 1, 36_500),
        # An upload of 1,000 records with full person blocks stays far below this.
        "MAX_CONTENT_LENGTH": _int("GRIDGOV_MAX_UPLOAD_BYTES", 16 * 1024 * 1024),
        "GRIDGOV_LOGIN_MAX_FAILURES": _int("GRIDGOV_LOGIN_MAX_FAILURES", 5),
        "GRIDGOV_LOGIN_LOCK_SECONDS": _int("GRIDGOV_LOGIN_LOCK_SECONDS", 300),
        # Failed logins one network address may make in a window, over any accounts.
        "GRIDGOV_LOGIN_ADDRESS_MAX_FAILURES": _int("GRIDGOV_LOGIN_ADDRESS_MAX_FAILURES", 50),
        "GRIDGOV_LOGIN_ADDRESS_WINDOW_SECONDS": _int("GRIDGOV_LOGIN_ADDRESS_WINDOW_SECONDS", 900),
        # Reverse proxies in front of the app that set X-Forwarded-For (0: clients connect
        # directly); the address of a login is then the one the nearest proxy saw.
        "GRIDGOV_PROXIES": _int("GRIDGOV_PROXIES", 0),
        # Residents' declarations: personal fields of a closed one are erased after this many
        # days (`flask declarations purge`), the decision kept.
        "GRIDGOV_DECLARATION_KEEP_DAYS": _int_between(
            "GRIDGOV_DECLARATION_KEEP_DAYS", 180, 1, 3660
        ),
        # Declarations one client address, and one ID number, may submit per window.
        "GRIDGOV_DECLARATIONS_PER_ADDRESS": _int("GRIDGOV_DECLARATIONS_PER_ADDRESS", 20),
        "GRIDGOV_DECLARATIONS_PER_ID": _int("GRIDGOV_DECLARATIONS_PER_ID", 3),
        "GRIDGOV_DECLARATION_WINDOW_SECONDS": _int("GRIDGOV_DECLARATION_WINDOW_SECONDS", 3600),
        # The largest public declaration body (a person and ten household members fit in 16 KiB).
        "GRIDGOV_DECLARATION_MAX_BYTES": _int("GRIDGOV_DECLARATION_MAX_BYTES", 16 * 1024),
        # A door visit that confirms a declaration approves it ("0": it goes back to the desk).
        "GRIDGOV_VISIT_CONFIRM_APPROVES": os.environ.get("GRIDGOV_VISIT_CONFIRM_APPROVES", "1")
        != "0",
    }
