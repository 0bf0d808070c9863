"""Stored upload outcomes found by age, so the ones past the replay window can be pruned

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 07:20:00
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # BRIN: outcomes are appended in time order, so a few pages of summary find the old ones,
    # and an upload pays next to nothing to keep it.
    op.create_index(
        "ix_sync_records_created_at", "sync_records", ["created_at"], postgresql_using="brin"
    )


def downgrade():
    op.drop_index("ix_sync_records_created_at", "sync_records")
