"""A new declaration written in one statement: the declaration, its submitted and triaged
events and its audit row. The same rows the ORM's unit of work writes, without its round trips
and its bookkeeping: the submission's common case (one person, no door visit to send). It runs
outside any transaction (gridgov.reads): one statement is all or nothing on its own, so the
submission needs no BEGIN and COMMIT. The statement is built once (compiled once per process);
each declaration only binds values."""

from datetime import date, datetime

from psycopg.types.json import Jsonb
from sqlalchemy import text

from gridgov import reads

# The columns a new declaration is given (the others keep their defaults).
COLUMNS = (
    "reference",
    "state",
    "route",
    "rule_name",
    "rules_version",
    "street_code",
    "community_code",
    "grid_code",
    "area_code",
    "house_id",
    "house_code",
    "person_id",
    "kind",
    "id_index",
    "id_masked",
    "name_masked",
    "body_sealed",
    "diff",
    "address_hash",
    "record_version",
    "purge_after",
)


def _statement():
    names = ", ".join(COLUMNS)
    values = ", ".join(f":{c}" for c in COLUMNS)
    # Closed at once (no change): decided now, as states.close does.
    sql = f"""
WITH d AS (
  INSERT INTO declarations ({names}, decided_at)
  VALUES ({values}, CASE WHEN :closed THEN now() END)
  RETURNING id, reference, submitted_at),
e AS (
  INSERT INTO declaration_events (declaration_id, from_state, to_state, reason)
  SELECT id, NULL, 'submitted', NULL FROM d
  UNION ALL SELECT id, 'submitted', 'triaged', :reason FROM d),
a AS (
  INSERT INTO audit_events (action, entity_type, entity_key, after)
  SELECT 'declare', 'declaration', reference, :after FROM d)
SELECT submitted_at FROM d"""
    return text(sql)


STATEMENT = _statement()


def insert_triaged(row: dict, purge_after: date | None, reason: str, after: dict) -> datetime:
    """Insert a triaged declaration (`row`: its COLUMNS but purge_after; `purge_after`: set
    when it is closed at once), its two events (`reason`: the triaged event's) and its
    'declare' audit row (`after`: masked). Returns its submitted_at."""
    params = {
        **row,
        "diff": Jsonb(row["diff"]),
        "purge_after": purge_after,
        "closed": purge_after is not None,
        "reason": reason,
        "after": Jsonb(after),
    }
    return reads.rows(STATEMENT, params)[0][0]
