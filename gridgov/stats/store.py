"""Keeping the stored counts: folding the pending deltas into the totals of every level and into
this month's age bands, and counting a month end once into a snapshot."""

from datetime import date

from sqlalchemy import text

from gridgov.extensions import db
from gridgov.hierarchy.models import LEVELS
from gridgov.stats import queries

FOLD_LOCK = 0x67726964  # pg advisory lock key: one fold at a time

_bands_month: date | None = None  # the month this worker last saw the bands folded for


def _spread(source: str, columns: str) -> str:
    """Rows of a grid-level source repeated for the area of every level that holds the cell."""
    return " UNION ALL ".join(
        f"SELECT '{level}' AS level, {queries.child_code('grid_code', level)} AS area_code, "
        f"{columns} FROM {source}"
        for level in LEVELS
    )


FOLD = f"""
WITH moved AS (DELETE FROM stat_pending RETURNING grid_code, measure, key, n),
spread AS MATERIALIZED ({_spread("moved", "measure, key, n")}),
totals AS (
  INSERT INTO stat_totals (level, area_code, measure, key, n)
  SELECT level, area_code, measure, key, sum(n) FROM spread WHERE measure <> 'birth'
  GROUP BY 1, 2, 3, 4
  ON CONFLICT (level, area_code, measure, key) DO UPDATE SET n = stat_totals.n + excluded.n),
births AS (
  INSERT INTO stat_births (level, area_code, key, n)
  SELECT level, area_code, key, sum(n) FROM spread WHERE measure = 'birth' GROUP BY 1, 2, 3
  ON CONFLICT (level, area_code, key) DO UPDATE SET n = stat_births.n + excluded.n),
bands AS (
  INSERT INTO stat_bands (month, level, area_code, band, n)
  SELECT :month, level, area_code, {queries.band_of("key")}, sum(n) FROM spread
  WHERE measure = 'birth' GROUP BY 2, 3, 4
  ON CONFLICT (month, level, area_code, band) DO UPDATE SET n = stat_bands.n + excluded.n)
SELECT count(*) FROM moved
"""

REBAND = f"""
WITH gone AS (DELETE FROM stat_bands)
INSERT INTO stat_bands (month, level, area_code, band, n)
SELECT :month, level, area_code, {queries.band_of("key")}, sum(n) FROM stat_births
GROUP BY 2, 3, 4
"""


def fold_if_due(threshold: int, month: date) -> None:
    due = db.session.execute(
        text("SELECT count(*) FROM (SELECT 1 FROM stat_pending LIMIT :n) p"), {"n": threshold}
    ).scalar_one()
    if due >= threshold or _bands_month != month:
        fold(month)


def fold(month: date) -> int:
    """Move the pending deltas into the totals, births and bands, in one transaction of its own,
    first refolding the bands if the month has changed. Deltas that commit meanwhile stay
    pending for the next fold; none is counted twice."""
    global _bands_month
    with db.engine.begin() as conn:
        # A request that began before midnight must not fold the bands back a month.
        newest = conn.execute(text("SELECT max(month) FROM stat_bands")).scalar()
        month = max(month, newest or month)
        params = {"month": month, **queries.band_limits(month)}
        lock = {"k": FOLD_LOCK}
        if not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), lock).scalar():
            if not _new_month(conn, params):
                return 0  # another fold is running; the deltas wait for the next
            # Until a new month's bands exist counts would miss ages: wait for the lock.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), lock)
        if _new_month(conn, params):
            conn.execute(text(REBAND), params)
        moved = conn.execute(text(FOLD), params).scalar_one()
    _bands_month = month
    return moved


def _new_month(conn, params) -> bool:
    return conn.execute(
        text(
            "SELECT NOT EXISTS (SELECT 1 FROM stat_bands WHERE month = :month) "
            "AND EXISTS (SELECT 1 FROM stat_births)"
        ),
        params,
    ).scalar_one()


SNAPSHOT = f"""
INSERT INTO stat_snapshots (day, level, area_code, measure, key, n)
SELECT :day, level, area_code, measure, key, sum(n)
FROM ({_spread("counted", "measure, key, n")}) s GROUP BY 2, 3, 4, 5
"""


def snapshot(day: date) -> None:
    """Count a month end for every area at every level, unless it is counted already. It stays
    until a dated change on or before the day (a registration with an earlier move-in, a
    redrawn cell) deletes it through the triggers of migration 0003.

    The day's row is committed before the counting starts and locked while it runs: a dated
    change that commits before the lock deletes the row and the count starts again; one that
    comes during the count waits for it, then deletes what it made. No change is missed."""
    known = text("SELECT ready FROM stat_snapshot_days WHERE day = :day")
    if db.session.execute(known, {"day": day}).scalar():
        return  # the common case: counted already, no write and no lock
    while True:
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO stat_snapshot_days (day) VALUES (:day) ON CONFLICT DO NOTHING"),
                {"day": day},
            )
        with db.engine.begin() as conn:
            ready = conn.execute(
                text("SELECT ready FROM stat_snapshot_days WHERE day = :day FOR UPDATE"),
                {"day": day},
            ).scalar()
            if ready is None:
                continue  # forgotten before we began: count again
            if ready:
                return
            # One pass over every residence: give it room, and no JIT (seconds to compile).
            conn.execute(text("SET LOCAL work_mem = '256MB'"))
            counted = queries.recount("grid").text
            params = {"day": day, "prefix": "", **queries.band_limits(day)}
            conn.execute(
                text(f"WITH counted (grid_code, measure, key, n) AS ({counted}) {SNAPSHOT}"),
                params,
            )
            conn.execute(
                text(
                    "UPDATE stat_snapshot_days SET ready = true, built_at = now() WHERE day = :day"
                ),
                {"day": day},
            )
            return
