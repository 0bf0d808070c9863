"""The change feed as a device pulls it: what changed in its cells since its cursor, each change
with the record as the caller may see it now."""

import re

from sqlalchemy import select, text

from gridgov.errors import ValidationFailed
from gridgov.extensions import db
from gridgov.feed.models import Change
from gridgov.houses import views as houses
from gridgov.people import views as people
from gridgov.scope import Principal, inside
from gridgov.visits import views as visits

# The oldest transaction still running that could yet add changes: only sessions of this
# database can. (The snapshot's xmin alone is the whole cluster's, so any long transaction in
# another database, a test run or a report, would hold every device's feed back.) A session of
# this database whose activity this role may not see could be one: then the cluster's xmin.
# pg_current_snapshot() is the statement's, taken before pg_stat_activity is read, so a session
# running at the snapshot is either seen running or has committed before the rows are read.
_HORIZON = text(
    """
    WITH snap AS (SELECT pg_current_snapshot() AS s),
    here AS (
      SELECT backend_type, backend_xid, usesysid FROM pg_stat_activity
      WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND pid <> pg_backend_pid()
    ),
    running AS (
      SELECT backend_xid AS xid FROM here WHERE backend_xid IS NOT NULL
      UNION ALL
      SELECT transaction FROM pg_prepared_xacts WHERE database = current_database()
    )
    SELECT (CASE
      WHEN EXISTS (SELECT 1 FROM here WHERE backend_type IS NULL AND usesysid IS NOT NULL)
        THEN pg_snapshot_xmin(s)
      ELSE coalesce(
        (SELECT min(x) FROM pg_snapshot_xip(s) x
         WHERE (x::text::bigint % 4294967296) IN (SELECT xid::text::bigint FROM running)),
        pg_snapshot_xmax(s))
    END)::text::bigint FROM snap
    """
)


def start_cursor() -> str:
    """A cursor from which the feed serves every change not yet committed now (the first
    sync's: what it reads after taking it includes everything before)."""
    horizon = db.session.execute(_HORIZON).scalar()
    return f"{horizon}.0.{horizon}"


def changes(principal: Principal, cursor: str | None, limit: int) -> dict:
    """Changes in the caller's grid cells since the cursor, oldest first, with tombstones.

    The cursor is "txid.seq.horizon": everything from transactions below `horizon` up to
    (txid, seq) has been served. Only transactions older than every one still running are
    served, so a change can never appear behind a cursor that has already passed it."""
    low_txid, low_seq, horizon = _parse_cursor(cursor)
    if low_txid >= horizon:
        horizon = db.session.execute(_HORIZON).scalar()
    rows = db.session.scalars(
        select(Change)
        .where(
            inside(principal, Change.grid_code),
            Change.txid < horizon,
            (Change.txid > low_txid) | ((Change.txid == low_txid) & (Change.seq > low_seq)),
        )
        .order_by(Change.txid, Change.seq)
        .limit(limit)
    ).all()
    records = _current_records(principal, rows)
    items = [_change_item(c, records) for c in rows]
    if len(rows) == limit:
        last = rows[-1]
        next_cursor, more = f"{last.txid}.{last.seq}.{horizon}", True
    else:
        next_cursor, more = f"{horizon}.0.{horizon}", False
    return {"changes": items, "cursor": next_cursor, "more": more}


def _parse_cursor(cursor: str | None) -> tuple[int, int, int]:
    if not cursor:
        return 0, 0, 0
    parts = cursor.split(".")
    # At most 18 ASCII digits each: a transaction id or sequence number, never beyond a bigint.
    if len(parts) != 3 or not all(re.fullmatch("[0-9]{1,18}", p) for p in parts):
        raise ValidationFailed.field(
            "cursor", "is not a cursor this server gave out", location="query"
        )
    txid, seq, horizon = (int(p) for p in parts)
    return txid, seq, horizon


def _current_records(principal: Principal, rows: list[Change]) -> dict[tuple[str, str], dict]:
    """The records the page's upserts point to, as the caller may see them now: a query or two
    per record type."""
    keys = {"house": set(), "person": set(), "visit": set()}
    for change in rows:
        if change.op == "upsert":
            keys[change.record_type].add(change.record_key)
    found = {("house", k): v for k, v in houses.views_by_code(principal, keys["house"]).items()}
    people_now = people.views_by_id(principal, {int(k) for k in keys["person"]})
    found.update((("person", str(k)), v) for k, v in people_now.items())
    # A door-visit task is served while it is open; once done or withdrawn it reads as left.
    tasks = visits.views_by_id(principal, {int(k) for k in keys["visit"]}, open_only=True)
    found.update((("visit", str(k)), v) for k, v in tasks.items())
    return found


def _change_item(change: Change, records: dict[tuple[str, str], dict]) -> dict:
    item = {
        "seq": change.seq,
        "type": change.record_type,
        "key": change.record_key,
        "grid": change.grid_code,
        "op": change.op,
    }
    if change.op == "upsert":
        item["record"] = records.get((change.record_type, change.record_key))
        if item["record"] is None:  # changed again since, and now out of scope or deleted
            item["op"] = "left"
            del item["record"]
    return item
