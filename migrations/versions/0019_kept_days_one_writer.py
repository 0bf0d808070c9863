"""Changes that reach back to kept days apply to them one transaction at a time

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 16:00:00

Migration 0012's triggers add a dated change's effect to every kept day on or after its date
with INSERT ... ON CONFLICT DO UPDATE on stat_snapshots, rows in hash order. Two transactions
doing so at once (two uploads of people who arrived in the past) locked the same rows (the
district's, of each day) in different orders and one was killed by PostgreSQL's deadlock
detector; the bench's row-by-row floor hit it on the first run with kept days. They all update
the district's row of the newest kept days anyway, so they cannot run side by side: now each
takes an exclusive transaction lock before applying, and waits for the one before to commit
instead of deadlocking with it. A change that reaches no kept day takes no lock.
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

APPLY_LOCK = 0x6B617070  # 'kapp'; one transaction applies to the kept days at a time
MARK = "  WITH changed AS MATERIALIZED"


def _kept():
    """Migration 0012, whose trigger functions this one rewrites."""
    path = Path(__file__).with_name("0012_kept_month_ends.py")
    spec = importlib.util.spec_from_file_location("kept_0012", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _replace(locked: bool) -> None:
    kept = _kept()
    for name, (_, _, rows, body) in kept.TRIGGERS.items():
        sql = kept._function(name, rows, body)
        assert MARK in sql, "0012's function body changed shape"
        if locked:
            sql = sql.replace(MARK, f"  PERFORM pg_advisory_xact_lock({APPLY_LOCK});\n{MARK}", 1)
        op.execute(sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))


def upgrade():
    _replace(locked=True)


def downgrade():
    _replace(locked=False)
