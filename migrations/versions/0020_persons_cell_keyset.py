"""People of a grid cell in id order from one index: a device's keyset pages

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 16:00:00

A device downloads its cell's people by id, 2,000 a page (`grid_code = cell AND id > after
ORDER BY id LIMIT 2000`). With the cell and the id in one index the page is a range of it; the
index on (grid_code, kind) it replaces could only find the cell's rows, to be sorted for each
page (no query narrows people by kind without an area).
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_persons_grid_kind", table_name="persons")
    op.create_index("ix_persons_grid_id", "persons", ["grid_code", "id"])


def downgrade() -> None:
    op.drop_index("ix_persons_grid_id", table_name="persons")
    op.create_index("ix_persons_grid_kind", "persons", ["grid_code", "kind"])
