"""Failed logins counted per network address, so one address cannot try passwords across many
accounts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 07:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_address_failures",
        sa.Column("address", sa.String(45), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_login_address_failures")),
    )


def downgrade():
    op.drop_table("login_address_failures")
