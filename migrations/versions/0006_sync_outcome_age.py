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
    # BRIN: outcomes are appended in time order, so a small summary finds the old ones and an
    # upload pays next to nothing to keep it. Built concurrently: uploads go on meanwhile.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_sync_records_created_at",
            "sync_records",
            ["created_at"],
            postgresql_using="brin",
            postgresql_concurrently=True,
            if_not_exists=True,
        )
    # Audit rows written through the ORM kept "no value" as JSON null, bulk ones as SQL NULL:
    # one representation (SQL NULL) from now on.
    op.execute("UPDATE audit_events SET before = NULL WHERE before = 'null'::jsonb")
    op.execute("UPDATE audit_events SET after = NULL WHERE after = 'null'::jsonb")


def downgrade():
    op.drop_index("ix_sync_records_created_at", "sync_records")
