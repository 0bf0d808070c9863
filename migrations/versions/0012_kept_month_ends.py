"""Month ends kept current at write time: a dated change applies its delta to each kept month end
on or after its date, as the live counts do today, instead of forgetting it

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 09:00:00

Until now a change dated in the past (a late registration, a backdated move, a redrawn cell)
deleted every counted month end after its date, and the next request for one counted all the
district's residences again (12 s at 3M persons, past gunicorn's timeout at 10M). Now each
statement on residences, house_grids, persons and houses adds its net effect on every kept month
end to stat_snapshots, in its own transaction, so a kept day always equals a recount of it.

The keys of a person and a house on a day are those of stat_person_keys() and stat_house_keys()
with the birth month banded by stat_age_band() for that day: the one definition the triggers, the
fast paths and the recount of gridgov/stats/queries.py all use.

A kept day is built (gridgov/stats/store.py) holding KEPT_LOCK exclusively; every statement whose
change is dated today or earlier takes it shared first, so a change either commits before the
build reads, or waits and then finds the new day to apply itself to.
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

KEPT_LOCK = 0x6B657074  # 'kept'; gridgov/stats/store.py takes it exclusively

FUNCTIONS = r"""
-- Months from a 'YYYY-MM' birth month to a day's month: age in completed years is this // 12,
-- counted by birth month as the census counts it.
CREATE FUNCTION stat_age_months(born text, day date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (extract(year FROM day)::int * 12 + extract(month FROM day)::int)
       - (left(born, 4)::int * 12 + substr(born, 6, 2)::int)
$$;

CREATE FUNCTION stat_age_band(born text, day date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN stat_age_months(born, day) < 6 * 12 THEN '0-5'
              WHEN stat_age_months(born, day) < 18 * 12 THEN '6-17'
              WHEN stat_age_months(born, day) < 60 * 12 THEN '18-59'
              WHEN stat_age_months(born, day) < 80 * 12 THEN '60-79'
              ELSE '80+' END
$$;

-- A person's keys as counted on a day: the birth month in the day's age band.
CREATE FUNCTION stat_person_facts(kind text, origin_code text, reason text, birth date, day date)
RETURNS TABLE (measure text, key text) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT k.measure, CASE WHEN k.measure = 'birth' THEN stat_age_band(k.key, day) ELSE k.key END
  FROM stat_person_keys(kind, origin_code, reason, birth) k
$$;

-- The area of every level that holds a grid cell.
CREATE FUNCTION stat_levels(grid_code text) RETURNS TABLE (level text, area_code text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT * FROM (VALUES ('district', left(grid_code, 6) || '000000'),
                        ('street', left(grid_code, 9) || '000'),
                        ('community', left(grid_code, 12)),
                        ('grid', grid_code)) l (level, area_code)
$$;
"""

# SQL pieces shared by the trigger bodies: the cell of a house on a day, its occupants that day.
CELL = """(SELECT hg.grid_code FROM house_grids hg WHERE hg.house_id = {house}
  AND hg.valid_from <= {day} AND coalesce(hg.valid_to, 'infinity') > {day}
  ORDER BY hg.valid_from DESC LIMIT 1)"""
OCCUPANTS = """(SELECT count(*) FROM residences o WHERE o.house_id = {house}
  AND o.moved_in <= {day} AND coalesce(o.moved_out, 'infinity') > {day})::int"""
STANDING = "({deleted} IS NULL OR {deleted} >= {day} + 1)"

# Rows d (day, grid_code, measure, key, n) added to the kept days at every level.
APPLY = """
INSERT INTO stat_snapshots (day, level, area_code, measure, key, n)
SELECT d.day, l.level, l.area_code, d.measure, d.key, sum(d.n)
FROM d, stat_levels(d.grid_code) l
GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.n) <> 0
ON CONFLICT (day, level, area_code, measure, key) DO UPDATE SET n = stat_snapshots.n + excluded.n;
"""

# Each body: (signed rows with the first day they change, as `changed`), then the deltas.
# residences: a row counts its person in the cell of its house on each day it is open, and
# one occupant of that house (whose occupancy key moves from before to after).
RESIDENCES_ROWS = {
    "INSERT": "SELECT 1 AS sign, person_id, house_id, moved_in, moved_out, moved_in AS since "
    "FROM new_rows",
    "DELETE": "SELECT -1 AS sign, person_id, house_id, moved_in, moved_out, moved_in AS since "
    "FROM old_rows",
    "UPDATE": """SELECT s.sign, s.person_id, s.house_id, s.moved_in, s.moved_out, p.since
      FROM (SELECT o.id, least(
              CASE WHEN o.moved_in IS DISTINCT FROM n.moved_in
                   THEN least(o.moved_in, n.moved_in) END,
              CASE WHEN o.moved_out IS DISTINCT FROM n.moved_out
                   THEN least(o.moved_out, n.moved_out) END,
              CASE WHEN (o.house_id, o.person_id) IS DISTINCT FROM (n.house_id, n.person_id)
                   THEN least(o.moved_in, n.moved_in) END) AS since
            FROM new_rows n JOIN old_rows o ON o.id = n.id) p
      JOIN (SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows) s
        ON s.id = p.id
      WHERE p.since IS NOT NULL""",
}
RESIDENCES = f"""
WITH placed AS MATERIALIZED (
  SELECT k.day, c.sign, c.person_id, c.house_id, {CELL.format(house="c.house_id", day="k.day")} AS cell
  FROM changed c JOIN stat_snapshot_days k ON k.ready AND k.day >= c.since
  WHERE c.moved_in <= k.day AND coalesce(c.moved_out, 'infinity') > k.day),
occupancy AS (
  SELECT x.day, x.cell, h.rented, {OCCUPANTS.format(house="x.house_id", day="x.day")} AS after,
         x.change
  FROM (SELECT day, cell, house_id, sum(sign) AS change FROM placed WHERE cell IS NOT NULL
        GROUP BY 1, 2, 3 HAVING sum(sign) <> 0) x
  JOIN houses h ON h.id = x.house_id
  WHERE {STANDING.format(deleted="h.deleted_at", day="x.day")}),
d AS (
  SELECT p.day, p.cell AS grid_code, f.measure, f.key, p.sign AS n
  FROM placed p JOIN persons x ON x.id = p.person_id,
       stat_person_facts(x.kind, x.origin_code, x.inflow_reason, x.birth_date, p.day) f
  WHERE p.cell IS NOT NULL
  UNION ALL
  SELECT o.day, o.cell, k.measure, k.key, s.n
  FROM occupancy o, LATERAL (VALUES (o.after, 1), ((o.after - o.change)::int, -1)) s (occupants, n),
       stat_house_keys(o.rented, s.occupants) k)
"""

# house_grids: a row counts the people of its house and the house itself in its cell on each
# day it is valid (a new house: on every kept day, as the recount counts it).
HOUSE_GRIDS_ROWS = {
    "INSERT": "SELECT 1 AS sign, house_id, grid_code, valid_from, valid_to, valid_from AS since "
    "FROM new_rows",
    "DELETE": "SELECT -1 AS sign, house_id, grid_code, valid_from, valid_to, valid_from AS since "
    "FROM old_rows",
    "UPDATE": """SELECT s.sign, s.house_id, s.grid_code, s.valid_from, s.valid_to, p.since
      FROM (SELECT o.house_id, o.valid_from, least(
              CASE WHEN o.valid_to IS DISTINCT FROM n.valid_to
                   THEN least(o.valid_to, n.valid_to) END,
              CASE WHEN o.grid_code <> n.grid_code THEN n.valid_from END) AS since
            FROM new_rows n JOIN old_rows o
              ON o.house_id = n.house_id AND o.valid_from = n.valid_from) p
      JOIN (SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows) s
        ON s.house_id = p.house_id AND s.valid_from = p.valid_from
      WHERE p.since IS NOT NULL""",
}
HOUSE_GRIDS = f"""
WITH valid AS MATERIALIZED (
  SELECT k.day, c.sign, c.house_id, c.grid_code FROM changed c
  JOIN stat_snapshot_days k ON k.ready AND k.day >= c.since
  WHERE c.valid_from <= k.day AND coalesce(c.valid_to, 'infinity') > k.day),
d AS (
  SELECT v.day, v.grid_code, f.measure, f.key, v.sign AS n
  FROM valid v
  JOIN residences r ON r.house_id = v.house_id
   AND r.moved_in <= v.day AND coalesce(r.moved_out, 'infinity') > v.day
  JOIN persons x ON x.id = r.person_id,
       stat_person_facts(x.kind, x.origin_code, x.inflow_reason, x.birth_date, v.day) f
  UNION ALL
  SELECT v.day, v.grid_code, k.measure, k.key, v.sign
  FROM valid v JOIN houses h ON h.id = v.house_id,
       stat_house_keys(h.rented, {OCCUPANTS.format(house="v.house_id", day="v.day")}) k
  WHERE {STANDING.format(deleted="h.deleted_at", day="v.day")})
"""

# persons: what the recount reads of a person (kind, origin, reason, birth month) is not dated,
# so a change to it applies to every kept day the person lived in the district.
PERSONS_ROWS = """SELECT s.sign, s.id, s.kind, s.origin_code, s.inflow_reason, s.birth_date,
    CAST('-infinity' AS date) AS since
  FROM (SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows) s
  JOIN (SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (o.kind, o.origin_code, o.inflow_reason, o.birth_date)
              IS DISTINCT FROM (n.kind, n.origin_code, n.inflow_reason, n.birth_date)) p
    ON p.id = s.id"""
PERSONS = f"""
WITH stays AS MATERIALIZED (
  SELECT k.day, c.*, {CELL.format(house="r.house_id", day="k.day")} AS cell
  FROM changed c JOIN residences r ON r.person_id = c.id
  JOIN stat_snapshot_days k ON k.ready
   AND r.moved_in <= k.day AND coalesce(r.moved_out, 'infinity') > k.day),
d AS (
  SELECT s.day, s.cell AS grid_code, f.measure, f.key, s.sign AS n
  FROM stays s, stat_person_facts(s.kind, s.origin_code, s.inflow_reason, s.birth_date, s.day) f
  WHERE s.cell IS NOT NULL)
"""

# houses: whether it is rented (not dated: every kept day) and when it was deleted. It runs
# before stat_houses_update (triggers fire in name order) moves the house's cell, so the cell
# it reads is the one before the statement, and the change of cell is house_grids' to count.
HOUSES_ROWS = """SELECT s.sign, s.id, s.rented, s.deleted_at, p.since
  FROM (SELECT n.id, CASE WHEN o.rented IS DISTINCT FROM n.rented THEN CAST('-infinity' AS date)
                          ELSE CAST(least(o.deleted_at, n.deleted_at) AS date) - 1 END AS since
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE o.rented IS DISTINCT FROM n.rented OR o.deleted_at IS DISTINCT FROM n.deleted_at) p
  JOIN (SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows) s ON s.id = p.id"""
HOUSES = f"""
WITH placed AS MATERIALIZED (
  SELECT k.day, c.*, {CELL.format(house="c.id", day="k.day")} AS cell,
         {OCCUPANTS.format(house="c.id", day="k.day")} AS occupants
  FROM changed c JOIN stat_snapshot_days k ON k.ready AND k.day >= c.since
  WHERE {STANDING.format(deleted="c.deleted_at", day="k.day")}),
d AS (
  SELECT p.day, p.cell AS grid_code, k.measure, k.key, p.sign AS n
  FROM placed p, stat_house_keys(p.rented, p.occupants) k WHERE p.cell IS NOT NULL)
"""

TRIGGERS = {
    # name: (table, event, referencing, signed rows, body)
    **{
        f"stat_dated_residences_{e.lower()}": ("residences", e, rows, RESIDENCES)
        for e, rows in RESIDENCES_ROWS.items()
    },
    **{
        f"stat_dated_house_grids_{e.lower()}": ("house_grids", e, rows, HOUSE_GRIDS)
        for e, rows in HOUSE_GRIDS_ROWS.items()
    },
    "stat_dated_persons_update": ("persons", "UPDATE", PERSONS_ROWS, PERSONS),
    "stat_dated_houses_update": ("houses", "UPDATE", HOUSES_ROWS, HOUSES),
}
REFERENCING = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}


def _function(name: str, rows: str, body: str) -> str:
    # The changed rows go to a temporary table only when some change reaches back to a day
    # that may be kept: an upload dated today finds none after the first look.
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE since date;
BEGIN
  SELECT min(c.since) INTO since FROM ({rows}) c;
  IF since IS NULL OR since > current_date THEN RETURN NULL; END IF;
  PERFORM pg_advisory_xact_lock_shared({KEPT_LOCK});
  IF NOT EXISTS (SELECT 1 FROM stat_snapshot_days WHERE ready AND day >= since) THEN
    RETURN NULL;
  END IF;
  WITH changed AS MATERIALIZED ({rows}), {body.strip().removeprefix("WITH ")}
  {APPLY}
  RETURN NULL;
END $fn$;
"""


def _forget_triggers():
    """Migration 0003's triggers that forgot a counted day (recreated on downgrade)."""
    path = Path(__file__).with_name("0003_statistics.py")
    spec = importlib.util.spec_from_file_location("statistics_0003", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    # Forgetting is replaced by keeping: drop 0003's forget triggers first.
    for table in ("residences", "house_grids"):
        for event in ("insert", "update", "delete"):
            op.execute(
                f"DROP TRIGGER stat_forget_{table}_{event} ON {table}; "
                f"DROP FUNCTION stat_forget_{table}_{event}()"
            )
    # Days counted by the old way may miss changes made while they were forgotten-but-asked.
    op.execute("DELETE FROM stat_snapshot_days WHERE NOT ready")
    op.execute(FUNCTIONS)
    for name, (table, event, rows, body) in TRIGGERS.items():
        op.execute(_function(name, rows, body))
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {REFERENCING[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    # What changed between two days, for a day answered from the nearest kept one.
    op.create_index("ix_house_grids_valid_from", "house_grids", ["valid_from"])
    op.create_index(
        "ix_house_grids_valid_to",
        "house_grids",
        ["valid_to"],
        postgresql_where="valid_to IS NOT NULL",
    )
    op.create_index(
        "ix_houses_deleted_at", "houses", ["deleted_at"], postgresql_where="deleted_at IS NOT NULL"
    )
    # Whose age band differs between two months: a month end kept from the next one.
    op.create_index("ix_persons_birth_date", "persons", ["birth_date"])


def downgrade():
    op.drop_index("ix_persons_birth_date", "persons")
    op.drop_index("ix_houses_deleted_at", "houses")
    op.drop_index("ix_house_grids_valid_to", "house_grids")
    op.drop_index("ix_house_grids_valid_from", "house_grids")
    for name, (table, *_) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}()")
    op.execute(
        "DROP FUNCTION stat_levels(text), "
        "stat_person_facts(text, text, text, date, date), stat_age_band(text, date), "
        "stat_age_months(text, date)"
    )
    old = _forget_triggers()
    for table, events in old.FORGET.items():
        for event, first in events.items():
            name = f"stat_forget_{table}_{event.lower()}"
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{old.FORGET_BODY.format(first=first)} RETURN NULL; END $$;"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                f"REFERENCING {REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    # Kept days were kept current; the forgetting triggers start from none.
    op.execute("DELETE FROM stat_snapshot_days")
