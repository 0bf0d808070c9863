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

_HORIZON = text("SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")


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
    """The records the page's upserts point to, as the caller may see them now: two queries."""
    keys = {"house": set(), "person": set()}
    for change in rows:
        if change.op == "upsert":
            keys[change.record_type].add(change.record_key)
    found = {("house", k): v for k, v in houses.views_by_code(principal, keys["house"]).items()}
    people_now = people.views_by_id(principal, {int(k) for k in keys["person"]})
    found.update((("person", str(k)), v) for k, v in people_now.items())
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
