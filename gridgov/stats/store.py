"""Keeping the stored counts: folding the pending deltas into the totals of every level and into
this month's age bands, and keeping month ends (built once from the live counts, then kept
current by the triggers of migration 0012)."""

import time
from datetime import date, timedelta

from sqlalchemy import text

from gridgov.errors import Unavailable
from gridgov.extensions import db
from gridgov.hierarchy.models import LEVELS
from gridgov.stats import queries

FOLD_LOCK = 0x67726964  # pg advisory lock key: one fold at a time
# Held exclusively while a month end is built, shared by every dated write (migration 0012).
KEPT_LOCK = 0x6B657074


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
  SELECT :month, level, area_code, {queries.band_of("key", ":month")}, sum(n) FROM spread
  WHERE measure = 'birth' GROUP BY 2, 3, 4
  ON CONFLICT (month, level, area_code, band) DO UPDATE SET n = stat_bands.n + excluded.n)
SELECT count(*), array_agg(DISTINCT grid_code) FROM moved
"""

# The areas of every level that hold some of the cells :cells.
_AREAS_OF_CELLS = """
SELECT DISTINCT l.level, l.area_code FROM unnest(CAST(:cells AS text[])) c, stat_levels(c) l
"""


def _area_counts(where: str) -> str:
    """stat_area_counts rewritten from the folded counts for the areas `where` picks (the
    rows t of stat_totals and of this month's stat_bands): one JSONB object an area."""
    return f"""
INSERT INTO stat_area_counts (level, area_code, month, counts)
SELECT level, area_code, :month, jsonb_object_agg(measure, keys) FROM (
  SELECT t.level, t.area_code, t.measure, jsonb_object_agg(t.key, t.n) AS keys FROM (
    SELECT level, area_code, measure, key, n FROM stat_totals WHERE n <> 0
    UNION ALL
    SELECT level, area_code, 'birth', band, n FROM stat_bands WHERE month = :month AND n <> 0
  ) t WHERE {where} GROUP BY 1, 2, 3
) m GROUP BY 1, 2
"""


AREA_COUNTS = {
    "all": ("DELETE FROM stat_area_counts", _area_counts("true")),
    "touched": (
        f"DELETE FROM stat_area_counts a USING ({_AREAS_OF_CELLS}) x "
        "WHERE a.level = x.level AND a.area_code = x.area_code",
        _area_counts(f"(t.level, t.area_code) IN ({_AREAS_OF_CELLS})"),
    ),
}

REBAND = f"""
WITH gone AS (DELETE FROM stat_bands)
INSERT INTO stat_bands (month, level, area_code, band, n)
SELECT :month, level, area_code, {queries.band_of("key", ":month")}, sum(n) FROM stat_births
GROUP BY 2, 3, 4
"""


DUE = text(queries.DUE)


def fold_if_due(threshold: int, month: date) -> None:
    if db.session.execute(DUE, {"n": threshold, "month": month}).scalar_one():
        fold(month)


def fold(month: date) -> int:
    """Move the pending deltas into the totals, births and bands, in one transaction of its own,
    first refolding the bands if the month has changed. Deltas that commit meanwhile stay
    pending for the next fold; none is counted twice."""
    with db.engine.begin() as conn:
        # A request that began before midnight must not fold the bands back a month.
        newest = conn.execute(text("SELECT max(month) FROM stat_bands")).scalar()
        month = max(month, newest or month)
        params = {"month": month}
        lock = {"k": FOLD_LOCK}
        if not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), lock).scalar():
            if not _new_month(conn, params):
                return 0  # another fold is running; the deltas wait for the next
            # Until a new month's bands exist counts would miss ages: wait for the lock.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), lock)
        rebanded = _new_month(conn, params)
        if rebanded:
            conn.execute(text(REBAND), params)
        moved, cells = conn.execute(text(FOLD), params).one()
        # The one-row-per-area counts follow in the same transaction: no reader sees them
        # differ from the totals.
        if (
            rebanded
            or not conn.execute(text("SELECT EXISTS (SELECT FROM stat_area_counts)")).scalar()
        ):
            which = "all"
        else:
            which = "touched" if cells else None
        if which:
            for statement in AREA_COUNTS[which]:
                conn.execute(text(statement), {**params, "cells": cells})
    return moved


def _new_month(conn, params) -> bool:
    return conn.execute(
        text(
            "SELECT NOT EXISTS (SELECT 1 FROM stat_bands WHERE month = :month) "
            "AND EXISTS (SELECT 1 FROM stat_births)"
        ),
        params,
    ).scalar_one()


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


# A month end for every area at every level from an anchor and the changes between: the live
# counts (births unbanded, banded for the day) or the next kept month end.
KEEP = {
    "live": f"""
WITH pending AS (SELECT grid_code, measure, {queries.BANDED_KEY} AS key, n FROM stat_pending),
shift AS ({queries.SHIFT})
INSERT INTO stat_snapshots (day, level, area_code, measure, key, n)
SELECT :day, level, area_code, measure, key, sum(n) FROM (
  SELECT level, area_code, measure, key, n FROM stat_totals
  UNION ALL
  SELECT level, area_code, 'birth', {queries.band_of("key")}, n FROM stat_births
  UNION ALL {_spread("pending", "measure, key, n")}
  UNION ALL {_spread("shift", "measure, key, n")}
) s GROUP BY 2, 3, 4, 5 HAVING sum(n) <> 0
""",
    "kept": f"""
WITH shift AS ({queries.SHIFT})
INSERT INTO stat_snapshots (day, level, area_code, measure, key, n)
SELECT :day, level, area_code, measure, key, sum(n) FROM (
  SELECT level, area_code, measure, key, n FROM stat_snapshots WHERE day = :anchor
  UNION ALL {_spread("shift", "measure, key, n")}
) s GROUP BY 2, 3, 4, 5 HAVING sum(n) <> 0
""",
}


class NotKeptYet(Unavailable):
    code, title = "not_counted_yet", "Not counted yet"


def is_kept(day: date) -> bool:
    known = text("SELECT ready FROM stat_snapshot_days WHERE day = :day")
    return bool(db.session.execute(known, {"day": day}).scalar())


# The days of each month that are kept once asked for (with its last day): every third day, so
# a past day is counted from a kept day at most one day away. Its time grows with the changes
# between: at 10M persons three or four days of them took 335-420 ms p95 with weekly kept
# days, one day 214-218 ms (p50 172-181). Each kept day also costs every write dated before it
# (the triggers of migration 0012 apply it there), and a backdated write is rare beside reads.
KEPT_DAYS = (1, 4, 7, 10, 13, 16, 19, 22, 25, 28)


def kept_days_of(day: date) -> list[date]:
    """The days of day's month that are kept once asked for."""
    return sorted({day.replace(day=d) for d in KEPT_DAYS} | {month_end(day)})


def nearest_kept(day: date, today: date) -> date:
    """The day a past day is counted from: the nearest kept day of its month, or today's live
    counts when they are nearer in this month (all carry the day's age bands: one month, one
    banding)."""
    candidates = [d for d in kept_days_of(day) if d < today]
    if (day.year, day.month) == (today.year, today.month):
        candidates.append(today)
    return min(candidates, key=lambda d: (abs((d - day).days), d < day))


def anchor_for(day: date, today: date, cap: int | None) -> date:
    """nearest_kept(day, today), kept now if it is not yet."""
    anchor = nearest_kept(day, today)
    if anchor != today and not is_kept(anchor):
        keep(anchor, today, cap)
    return anchor


# Month ends one request may keep (each copies the counts of every area); more, or more than
# `cap` changes between the oldest and today, are left to the job: no request runs a chain of
# counts past the server's timeout.
KEEP_PER_REQUEST = 12


def keep_all(days: list[date], today: date, cap: int) -> None:
    """Keep the month ends among days that are not yet, the newest first (each then from the
    next), or NotKeptYet if that is more than a request may do (they are marked as asked)."""
    ends = sorted({month_end(d) for d in days if d == month_end(d)}, reverse=True)
    kept = set(
        db.session.scalars(
            text("SELECT day FROM stat_snapshot_days WHERE ready AND day = ANY(:days)"),
            {"days": ends},
        )
    )
    missing = [d for d in ends if d not in kept]
    if not missing:
        return
    if len(missing) > KEEP_PER_REQUEST or _too_far(missing[-1], today, cap):
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO stat_snapshot_days (day) SELECT unnest(CAST(:days AS date[])) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"days": missing},
            )
        raise NotKeptYet(
            f"{len(missing)} month end(s) of the series are not counted yet; a job counts them "
            "(flask stats snapshot). Try again later.",
            headers={"Retry-After": "600"},
        )
    for day in missing:
        keep(day, today, cap)


def keep(day: date, today: date, cap: int | None = None) -> None:
    """Keep a month end for every area at every level, from the next kept month end after it
    (or today's live counts) and the changes between; the triggers keep it current from then
    on. With a cap (a request), a day more than `cap` changes away is left to `flask stats
    snapshot` (marked as asked for) and NotKeptYet says so."""
    later = text("SELECT min(day) FROM stat_snapshot_days WHERE ready AND day > :day")
    anchor = db.session.execute(later, {"day": day}).scalar() or today
    if cap is not None and _too_far(day, anchor, cap):
        raise NotKeptYet(
            f"Statistics as of {day} are not counted yet; a job counts them "
            "(flask stats snapshot). Try again later.",
            headers={"Retry-After": "600"},
        )
    with db.engine.begin() as conn:
        if cap is None:
            conn.execute(text("SET LOCAL statement_timeout = 0"))  # a job: no request waits
        # Writes dated on or before the day wait from here until the day is in and ready.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": KEPT_LOCK})
        if conn.execute(
            text("SELECT ready FROM stat_snapshot_days WHERE day = :day"), {"day": day}
        ).scalar():
            return  # kept meanwhile by another request
        conn.execute(
            text(
                "INSERT INTO stat_snapshot_days (day, ready) VALUES (:day, true) "
                "ON CONFLICT (day) DO UPDATE SET ready = true, built_at = now()"
            ),
            {"day": day},
        )
        conn.execute(text("DELETE FROM stat_snapshots WHERE day = :day"), {"day": day})
        if anchor == today:
            params = {**queries.span(today, day, banded_as=day), "prefix": ""}
            conn.execute(text(KEEP["live"]), params)
        else:
            conn.execute(text(KEEP["kept"]), {**queries.span(anchor, day), "prefix": ""})


def _too_far(day: date, anchor: date, cap: int) -> bool:
    """Whether more than cap changes lie between the day and its anchor; if so the day is marked
    as asked for (committed, so the job finds it)."""
    with db.engine.begin() as conn:
        params = {"day": day, "today": anchor, "cap": cap}
        if conn.execute(queries.CHANGES_SINCE, params).scalar_one() < cap:
            return False
        conn.execute(
            text("INSERT INTO stat_snapshot_days (day) VALUES (:day) ON CONFLICT DO NOTHING"),
            {"day": day},
        )
        return True


def history_days(today: date, months: int) -> list[date]:
    """The days past days are counted from in the last `months` months and this month before
    today, with any day a request found too far back to keep: the latest first, so that each
    is kept from the next."""
    wanted = [d for d in kept_days_of(today) if d < today]
    day = today.replace(day=1) - timedelta(days=1)
    for _ in range(months):
        wanted.extend(kept_days_of(day))
        day = day.replace(day=1) - timedelta(days=1)
    return sorted(set(wanted) | set(asked_for()), reverse=True)


def keep_history(today: date, months: int, done=None) -> int:
    """Keep every day of history_days that is not kept yet (a job: no statement timeout); the
    triggers keep them current from then on. `done(day, seconds)` after each. Returns how many
    were kept."""
    kept = 0
    for day in history_days(today, months):
        if is_kept(day):
            continue
        started = time.perf_counter()
        keep(day, today)
        kept += 1
        if done:
            done(day, time.perf_counter() - started)
    return kept


def asked_for() -> list[date]:
    """Days a request asked for that were too far back to keep then."""
    return list(db.session.scalars(text("SELECT day FROM stat_snapshot_days WHERE NOT ready")))
