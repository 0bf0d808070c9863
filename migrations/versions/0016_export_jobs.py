"""Export jobs: a large export is written by a worker process outside the request, claimed
with a lease so a job whose worker died is taken up again and never run twice at once

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-01 12:50:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

STATES = "'queued', 'running', 'done', 'failed', 'expired'"


def upgrade():
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("requester_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("area", sa.String(15), nullable=False),
        sa.Column("params", postgresql.JSONB(), nullable=False),
        sa.Column("fmt", sa.String(10), nullable=False),
        sa.Column("state", sa.String(10), nullable=False, server_default="queued"),
        sa.Column("rows_total", sa.BigInteger()),
        sa.Column("rows_done", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claim", postgresql.UUID(as_uuid=True)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("file_name", sa.String(200)),
        sa.Column("download_name", sa.String(200)),
        sa.Column("title", sa.String(300)),
        sa.Column("size", sa.BigInteger()),
        sa.Column("error", postgresql.JSONB()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_export_jobs_state")),
    )
    # What a worker claims: the queue, and running jobs whose lease ran out.
    op.create_index(
        "ix_export_jobs_open",
        "export_jobs",
        ["id"],
        postgresql_where=sa.text("state IN ('queued', 'running')"),
    )
    op.create_index(
        "ix_export_jobs_expiry",
        "export_jobs",
        ["expires_at"],
        postgresql_where=sa.text("state = 'done'"),
    )


def downgrade():
    op.drop_table("export_jobs")
