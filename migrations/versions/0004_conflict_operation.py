"""Conflicts remember the device's operation and capture time, so a stale move or delete
resolves as one, dated when the device saw it

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
    op.add_column("conflicts", sa.Column("captured_at", sa.DateTime(timezone=True)))


def downgrade():
    op.drop_column("conflicts", "captured_at")
    op.drop_column("conflicts", "op")
