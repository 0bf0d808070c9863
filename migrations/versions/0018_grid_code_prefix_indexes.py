"""Grid-code indexes that serve prefix matches: a device's cell, a street's rows

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 16:10:00

Scope is a prefix match (`grid_code LIKE '440303001%'`, gridgov/scope inside()). A plain btree
on a varchar in a database whose collation is not C (Debian's clusters default to C.UTF-8)
cannot serve LIKE, so at 3,000,000 persons a grid cell's person list scanned the whole table
(509 ms; its houses 155 ms), every device's morning download the same. The indexes on the
grid codes of houses, persons, the change feed, conflicts and door-visit tasks are rebuilt
with varchar_pattern_ops, as areas.code and declarations.area_code already are: they serve
equality and prefix matches alike (codes are digits; no query orders by them through these).
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# (index, table, columns) with grid_code first.
INDEXES = (
    ("ix_houses_grid_code", "houses", ["grid_code"]),
    ("ix_persons_grid_kind", "persons", ["grid_code", "kind"]),
    ("ix_changes_grid_code", "changes", ["grid_code"]),
    ("ix_conflicts_grid_code", "conflicts", ["grid_code"]),
    ("ix_visit_tasks_grid_state", "visit_tasks", ["grid_code", "state"]),
)


def _rebuild(pattern: bool) -> None:
    for name, table, columns in INDEXES:
        op.drop_index(name, table_name=table)
        ops = {"grid_code": "varchar_pattern_ops"} if pattern else {}
        op.create_index(name, table, columns, postgresql_ops=ops)


def upgrade() -> None:
    _rebuild(pattern=True)


def downgrade() -> None:
    _rebuild(pattern=False)
