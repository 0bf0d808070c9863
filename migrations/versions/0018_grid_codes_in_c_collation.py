"""The grid codes of records in the C collation: scope's prefix match served by their indexes

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 16:10:00

Scope is a prefix match (`grid_code LIKE '440303001%'`, gridgov/scope). In a database whose
collation is not C (Debian's clusters default to C.UTF-8) a btree cannot serve LIKE, so at
3,000,000 persons a grid cell's person list read the whole table (509 ms; its houses 155 ms),
and every device's morning download the same. Indexes with varchar_pattern_ops would serve the
match, but the planner still cannot estimate a prefix's share of the rows in such a collation
(it took a district's 3,000,000 people for 75 and sorted them all for a first page of 100).
So the grid codes of houses, persons, the change feed, conflicts and door-visit tasks are
compared byte by byte, as the statistics' area codes already are (migration 0003): their
indexes are rebuilt in the C collation, which serves LIKE and estimates it from the column's
statistics. Codes are digits: nothing sorts or compares differently.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

COLUMNS = ("houses", "persons", "changes", "conflicts", "visit_tasks")


def _collate(collation: str | None) -> None:
    for table in COLUMNS:
        op.alter_column(
            table,
            "grid_code",
            type_=sa.String(15, collation=collation),
            existing_type=sa.String(15),
            existing_nullable=table == "persons",
        )
    for table in COLUMNS:
        op.execute(f"ANALYZE {table} (grid_code)")


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate(None)
