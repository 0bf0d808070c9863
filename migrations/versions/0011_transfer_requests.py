"""Transfer requests: a move into a worker's cell of someone recorded beyond their areas, for
the staff of either side to decide

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "transfer_requests",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(100), nullable=True),
        sa.Column("id_index", sa.LargeBinary(), nullable=False),
        sa.Column("id_masked", sa.String(18), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("house_id", sa.BigInteger(), nullable=False),
        sa.Column("moved_in", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), server_default="open", nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_transfer_requests_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_transfer_requests_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_transfer_requests_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["house_id"], ["houses.id"], name=op.f("fk_transfer_requests_house_id_houses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_requests")),
    )
    for column in ("id_index", "person_id", "house_id"):
        op.create_index(
            op.f(f"ix_transfer_requests_{column}"), "transfer_requests", [column], unique=False
        )


def downgrade():
    op.drop_table("transfer_requests")
