"""A new declaration written in one statement: the declaration, its submitted and triaged
events and its audit row, and if triage sends it to the door, its visiting event and the visit
as gridgov.visits issues one. The same rows the ORM's unit of work writes, without its round
trips and its bookkeeping: a declaration of one person (a household's go through the ORM). It runs
outside any transaction (gridgov.reads): one statement is all or nothing on its own, so the
submission needs no BEGIN and COMMIT. The statement is built once (compiled once per process);
each declaration only binds values."""

from datetime import date, datetime

from psycopg.types.json import Jsonb
from sqlalchemy import text

from gridgov import reads
from gridgov.declarations.visiting import SUBJECT
from gridgov.visits.service import ISSUED, NEXT_TASK

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


def _statement(visit: bool):
    """`visit`: the declaration is sent to the door in the same statement. Its id and its
    task's are drawn first (`ids`), since each row names the other."""
    names = ", ".join(COLUMNS)
    values = ", ".join(f":{c}" for c in COLUMNS)
    # Closed at once (no change): decided now, as states.close does.
    decided = "CASE WHEN :closed THEN now() END"
    if visit:
        head = f"""
WITH ids AS (
  SELECT nextval(pg_get_serial_sequence('declarations', 'id')) AS declaration_id,
    {NEXT_TASK} AS task_id),
d AS (
  INSERT INTO declarations (id, visit_task_id, {names}, decided_at)
  SELECT declaration_id, task_id, {values}, {decided} FROM ids"""
        visiting = "\n  UNION ALL SELECT id, 'triaged', 'visiting', :visit_reason FROM d"
        tail = f""",
visit AS (
  SELECT task_id, CAST(:house_id AS bigint) AS house_id,
    CAST(:grid_code AS varchar) AS grid_code, CAST(:house_code AS varchar) AS house_code,
    CAST('{SUBJECT}' AS varchar) AS subject_type, declaration_id AS subject_id,
    CAST(:visit_reason AS varchar) AS reason, CAST(NULL AS integer) AS issued_by
  FROM ids),{ISSUED}"""
    else:
        head = f"""
WITH d AS (
  INSERT INTO declarations ({names}, decided_at)
  VALUES ({values}, {decided})"""
        visiting = tail = ""
    sql = f"""{head}
  RETURNING id, reference, submitted_at),
e AS (
  INSERT INTO declaration_events (declaration_id, from_state, to_state, reason)
  SELECT id, NULL, 'submitted', NULL FROM d
  UNION ALL SELECT id, 'submitted', 'triaged', :reason FROM d{visiting}),
a AS (
  INSERT INTO audit_events (action, entity_type, entity_key, after)
  SELECT 'declare', 'declaration', reference, :after FROM d){tail}
SELECT submitted_at FROM d"""
    return text(sql)


STATEMENTS = {visit: _statement(visit) for visit in (False, True)}


def insert(
    row: dict, purge_after: date | None, reason: str, after: dict, visit: str | None
) -> datetime:
    """Insert a declaration (`row`: its COLUMNS but purge_after; `purge_after`: set when it
    is closed at once), its events (`reason`: the triaged event's) and its 'declare' audit row
    (`after`: masked); `visit`: the reason of the door visit it is sent to, issued with it as
    gridgov.visits issues one (row's state then 'visiting'). Returns its submitted_at."""
    params = {
        **row,
        "diff": Jsonb(row["diff"]),
        "purge_after": purge_after,
        "closed": purge_after is not None,
        "reason": reason,
        "after": Jsonb(after),
        "visit_reason": visit,
    }
    return reads.rows(STATEMENTS[visit is not None], params)[0][0]
