"""Conflicts remember who sent the edit from which device, and which side desk staff chose

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 09:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("conflicts", sa.Column("sent_by", sa.Integer(), nullable=True))
    op.add_column("conflicts", sa.Column("device_id", sa.String(100), nullable=True))
    op.add_column("conflicts", sa.Column("choice", sa.String(10), nullable=True))
    op.create_foreign_key(
        op.f("fk_conflicts_sent_by_users"), "conflicts", "users", ["sent_by"], ["id"]
    )
    # Conflicts filed before: the sender is the one whose upload outcome holds the conflict
    # (kept for the retention window); the choice is in the resolution's audit row.
    op.execute(
        """
        UPDATE conflicts c SET sent_by = s.user_id, device_id = s.device_id
        FROM sync_records s WHERE s.uuid = c.client_uuid
        """
    )
    op.execute(
        """
        UPDATE conflicts c SET choice = a.after ->> 'choice'
        FROM audit_events a
        WHERE a.action = 'resolve_conflict' AND (a.after ->> 'conflict')::bigint = c.id
        """
    )


def downgrade():
    op.drop_constraint(op.f("fk_conflicts_sent_by_users"), "conflicts", type_="foreignkey")
    op.drop_column("conflicts", "choice")
    op.drop_column("conflicts", "device_id")
    op.drop_column("conflicts", "sent_by")
