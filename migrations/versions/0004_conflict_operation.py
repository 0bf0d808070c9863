"""Conflicts remember the device's operation, so a stale move or delete resolves as one

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 04:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "conflicts", sa.Column("op", sa.String(10), server_default="upsert", nullable=False)
    )


def downgrade():
    op.drop_column("conflicts", "op")
