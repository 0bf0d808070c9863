"""Failed logins under names without an account, counted and locked like an account's; the
moment an account's earlier sessions ended

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_name_failures",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_login_name_failures")),
    )
    op.add_column("users", sa.Column("sessions_since", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("users", "sessions_since")
    op.drop_table("login_name_failures")
