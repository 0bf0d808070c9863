"""The sync retention cutoff kept in a table of its own, not read back from the audit log

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sync_prune_cutoff",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("created_before", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_sync_prune_cutoff_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_prune_cutoff")),
    )
    # Prunes made before this table existed left their cutoff in the audit log only.
    op.execute(
        """
        INSERT INTO sync_prune_cutoff (id, created_before)
        SELECT 1, max((after ->> 'created_before')::timestamptz) FROM audit_events
        WHERE action = 'prune_outcomes' HAVING max((after ->> 'created_before')) IS NOT NULL
        """
    )


def downgrade():
    op.drop_table("sync_prune_cutoff")
