"""Statistics kept fresh by triggers: pending deltas, compacted totals, house occupancy and the
dated grid cell of each house

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:40:00

Every statement that changes persons or houses appends its net effect on the counts to
stat_pending, in the same transaction, so a committed upload is counted by the next query. The
deltas are only appended (never updated), so concurrent uploads never wait on a shared counter
row; the service folds them into stat_totals for every level from time to time.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FUNCTIONS = r"""
CREATE FUNCTION stat_effective_date() RETURNS date LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('gridgov.effective_date', true), '')::date, current_date)
$$;

CREATE FUNCTION stat_person_keys(kind text, origin_code text, reason text, birth date)
RETURNS TABLE (measure text, key text) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT * FROM (VALUES
    ('kind', kind),
    ('birth', to_char(birth, 'YYYY-MM')),
    ('origin', CASE WHEN kind = 'floating' THEN coalesce(left(origin_code, 2), '00') END),
    ('reason', CASE WHEN kind = 'floating' THEN coalesce(reason, '00') END)
  ) k (measure, key) WHERE key IS NOT NULL
$$;

CREATE FUNCTION stat_house_keys(rented boolean, occupants integer)
RETURNS TABLE (measure text, key text) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT * FROM (VALUES
    ('houses', occupants::text),
    ('rentals', CASE WHEN rented THEN occupants::text END)
  ) k (measure, key) WHERE key IS NOT NULL
$$;

"""

# One function per table and event, made from one template, so each keeps static SQL with
# cached plans (a trigger with dynamic SQL would plan again on every statement of an upload).
EVENTS = {
    "INSERT": ("NEW TABLE AS new_rows", "SELECT 1 AS sign, * FROM new_rows"),
    "UPDATE": (
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows",
    ),
    "DELETE": ("OLD TABLE AS old_rows", "SELECT -1 AS sign, * FROM old_rows"),
}

PERSONS = """
WITH d AS (SELECT * FROM ({rows}) r WHERE deleted_at IS NULL),
pending AS (
  INSERT INTO stat_pending (grid_code, measure, key, n)
  SELECT d.grid_code, k.measure, k.key, sum(d.sign)
  FROM d, stat_person_keys(d.kind, d.origin_code, d.inflow_reason, d.birth_date) k
  WHERE d.grid_code IS NOT NULL GROUP BY 1, 2, 3 HAVING sum(d.sign) <> 0)
UPDATE houses h SET occupants = h.occupants + c.n
FROM (SELECT house_id, sum(sign) AS n FROM d WHERE house_id IS NOT NULL
      GROUP BY 1 HAVING sum(sign) <> 0) c
WHERE h.id = c.house_id;
"""

HOUSES = """
INSERT INTO stat_pending (grid_code, measure, key, n)
SELECT d.grid_code, k.measure, k.key, sum(d.sign)
FROM (SELECT * FROM ({rows}) r WHERE deleted_at IS NULL) d,
     stat_house_keys(d.rented, d.occupants) k
GROUP BY 1, 2, 3 HAVING sum(d.sign) <> 0;
"""

# The cell each house lay in, by date: statistics as of a past date follow it across redraws.
# A house's first cell holds for all the time before, as its residents may predate the record.
HOUSE_CELLS = {
    "INSERT": """
INSERT INTO house_grids (house_id, grid_code, valid_from)
SELECT id, grid_code, '-infinity' FROM new_rows;
""",
    "UPDATE": """
WITH moved AS (SELECT n.id, n.grid_code FROM new_rows n JOIN old_rows o ON o.id = n.id
               WHERE n.grid_code <> o.grid_code),
closed AS (UPDATE house_grids g SET valid_to = stat_effective_date() FROM moved
           WHERE g.house_id = moved.id AND g.valid_to IS NULL)
INSERT INTO house_grids (house_id, grid_code, valid_from)
SELECT id, grid_code, stat_effective_date() FROM moved
ON CONFLICT (house_id, valid_from) DO UPDATE SET grid_code = excluded.grid_code, valid_to = NULL;
""",
    "DELETE": "",
}

# A dated change on or before a counted past day makes that day count again: the first day
# each statement changed, for inserted and deleted rows their whole span, for updated rows
# only the dates that moved (a move-out today leaves the days before it alone).
FORGET = {
    "residences": {
        "INSERT": "SELECT least(moved_in, moved_out) FROM new_rows",
        "DELETE": "SELECT least(moved_in, moved_out) FROM old_rows",
        "UPDATE": """SELECT least(
            CASE WHEN o.moved_in IS DISTINCT FROM n.moved_in THEN least(o.moved_in, n.moved_in) END,
            CASE WHEN o.moved_out IS DISTINCT FROM n.moved_out
                 THEN least(o.moved_out, n.moved_out) END)
          FROM new_rows n JOIN old_rows o ON o.id = n.id""",
    },
    "house_grids": {
        "INSERT": "SELECT least(nullif(valid_from, '-infinity'), valid_to) FROM new_rows",
        "DELETE": "SELECT least(nullif(valid_from, '-infinity'), valid_to) FROM old_rows",
        "UPDATE": """SELECT least(
            CASE WHEN o.valid_to IS DISTINCT FROM n.valid_to THEN least(o.valid_to, n.valid_to) END,
            CASE WHEN o.grid_code <> n.grid_code THEN nullif(n.valid_from, '-infinity') END)
          FROM new_rows n JOIN old_rows o
            ON o.house_id = n.house_id AND o.valid_from = n.valid_from""",
    },
}
FORGET_BODY = "DELETE FROM stat_snapshot_days WHERE day >= (SELECT min(d) FROM ({first}) c (d));"


def _trigger_functions() -> str:
    out = []
    for event, (_, rows) in EVENTS.items():
        bodies = {
            "persons": PERSONS.format(rows=rows),
            "houses": HOUSE_CELLS[event] + HOUSES.format(rows=rows),
        }
        for table, body in bodies.items():
            out.append(
                f"CREATE FUNCTION stat_{table}_{event.lower()}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$;"
            )
    for table, events in FORGET.items():
        for event, first in events.items():
            out.append(
                f"CREATE FUNCTION stat_forget_{table}_{event.lower()}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN {FORGET_BODY.format(first=first)} "
                "RETURN NULL; END $$;"
            )
    return "\n".join(out)


def _triggers() -> list[tuple[str, str, str, str]]:
    """(name, event, table, referencing) of every statistics trigger."""
    out = []
    for event, (ref, _) in EVENTS.items():
        for table in ("persons", "houses"):
            out.append((f"stat_{table}_{event.lower()}", event, table, ref))
        for table in FORGET:
            out.append((f"stat_forget_{table}_{event.lower()}", event, table, ref))
    return out


def upgrade():
    op.add_column(
        "houses", sa.Column("occupants", sa.Integer(), server_default="0", nullable=False)
    )
    # Room on each page for the occupancy updates to stay HOT (no index touches occupants):
    # bulk loads fill pages completely, and then every update rewrote every index.
    op.execute("ALTER TABLE houses SET (fillfactor = 90)")
    op.create_table(
        "stat_pending",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("grid_code", sa.String(15), nullable=False),
        sa.Column("measure", sa.String(10), nullable=False),
        sa.Column("key", sa.String(10), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_stat_pending_grid",
        "stat_pending",
        ["grid_code"],
        postgresql_ops={"grid_code": "varchar_pattern_ops"},
    )
    op.create_table(
        "stat_totals",
        sa.Column("level", sa.String(10), nullable=False),
        # "C" collation: the primary key then serves prefix matches (area_code LIKE '440303%').
        sa.Column("area_code", sa.String(15, collation="C"), nullable=False),
        sa.Column("measure", sa.String(10), nullable=False),
        sa.Column("key", sa.String(10), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("level", "area_code", "measure", "key", name="pk_stat_totals"),
    )
    # Birth months apart from the other counts, and folded into the age bands of the current
    # month: otherwise ~1,000 birth-month rows per area swamp a query of a few dozen measures.
    op.create_table(
        "stat_births",
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("area_code", sa.String(15, collation="C"), nullable=False),
        sa.Column("key", sa.String(10), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("level", "area_code", "key", name="pk_stat_births"),
    )
    op.create_table(
        "stat_bands",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("area_code", sa.String(15, collation="C"), nullable=False),
        sa.Column("band", sa.String(10), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "level", "area_code", "band", name="pk_stat_bands"),
    )
    # Month ends, counted once and kept until a dated change reaches back to them.
    op.create_table(
        "stat_snapshot_days",
        sa.Column("day", sa.Date(), primary_key=True),
        # Committed before its counts are made, so a dated change meanwhile can forget it.
        sa.Column("ready", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_table(
        "stat_snapshots",
        sa.Column(
            "day",
            sa.Date(),
            sa.ForeignKey("stat_snapshot_days.day", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("area_code", sa.String(15, collation="C"), nullable=False),
        sa.Column("measure", sa.String(10), nullable=False),
        sa.Column("key", sa.String(10), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "level", "area_code", "measure", "key", name="pk_stat_snapshots"
        ),
    )
    op.create_table(
        "house_grids",
        sa.Column("house_id", sa.BigInteger(), sa.ForeignKey("houses.id"), nullable=False),
        sa.Column("grid_code", sa.String(15), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date()),
        sa.PrimaryKeyConstraint("house_id", "valid_from", name="pk_house_grids"),
    )
    op.create_index(
        "ix_house_grids_grid",
        "house_grids",
        ["grid_code"],
        postgresql_ops={"grid_code": "varchar_pattern_ops"},
    )
    # Covering: arrivals and departures of a period read these without touching the table.
    for column in ("moved_in", "moved_out"):
        op.create_index(
            f"ix_residences_{column}",
            "residences",
            [column],
            postgresql_include=["person_id", "house_id"],
        )
    # Existing rows first (occupancy, cell history, the counts they already make), then the
    # triggers: with the triggers on, the occupancy backfill would count its houses twice.
    op.execute(FUNCTIONS)
    op.execute(
        "UPDATE houses h SET occupants = c.n FROM (SELECT house_id, count(*) AS n FROM persons "
        "WHERE deleted_at IS NULL AND house_id IS NOT NULL GROUP BY 1) c WHERE h.id = c.house_id"
    )
    op.execute(
        "INSERT INTO house_grids (house_id, grid_code, valid_from) "
        "SELECT id, grid_code, '-infinity' FROM houses"
    )
    op.execute(
        "INSERT INTO stat_pending (grid_code, measure, key, n) "
        "SELECT p.grid_code, k.measure, k.key, count(*) FROM persons p, "
        "stat_person_keys(p.kind, p.origin_code, p.inflow_reason, p.birth_date) k "
        "WHERE p.deleted_at IS NULL AND p.grid_code IS NOT NULL GROUP BY 1, 2, 3"
    )
    op.execute(
        "INSERT INTO stat_pending (grid_code, measure, key, n) "
        "SELECT h.grid_code, k.measure, k.key, count(*) FROM houses h, "
        "stat_house_keys(h.rented, h.occupants) k WHERE h.deleted_at IS NULL GROUP BY 1, 2, 3"
    )
    op.execute(_trigger_functions())
    for name, event, table, ref in _triggers():
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {ref} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def downgrade():
    for name, _, table, _ in _triggers():
        op.execute(f"DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}()")
    op.execute(
        "DROP FUNCTION stat_house_keys(boolean, integer), stat_person_keys(text, text, text, date), "
        "stat_effective_date()"
    )
    op.drop_index("ix_residences_moved_out", "residences")
    op.drop_index("ix_residences_moved_in", "residences")
    op.drop_table("house_grids")
    op.drop_table("stat_snapshots")
    op.drop_table("stat_snapshot_days")
    op.drop_table("stat_bands")
    op.drop_table("stat_births")
    op.drop_table("stat_totals")
    op.drop_table("stat_pending")
    op.drop_column("houses", "occupants")
    op.execute("ALTER TABLE houses RESET (fillfactor)")
