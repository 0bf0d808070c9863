"""Door-visit tasks and their results with the proof of visit

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 12:10:00
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "visit_tasks",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("house_id", sa.BigInteger(), nullable=False),
        sa.Column("grid_code", sa.String(15), nullable=False),
        sa.Column("subject_type", sa.String(30), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column(
            "issued_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(10), server_default="open", nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.Column("withdrawn_reason", sa.String(200), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'done', 'withdrawn')", name=op.f("ck_visit_tasks_state")
        ),
        sa.ForeignKeyConstraint(
            ["house_id"], ["houses.id"], name=op.f("fk_visit_tasks_house_id_houses")
        ),
        sa.ForeignKeyConstraint(
            ["grid_code"], ["areas.code"], name=op.f("fk_visit_tasks_grid_code_areas")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["users.id"], name=op.f("fk_visit_tasks_issued_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to"], ["users.id"], name=op.f("fk_visit_tasks_assigned_to_users")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"], ["users.id"], name=op.f("fk_visit_tasks_withdrawn_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_tasks")),
    )
    op.create_index(op.f("ix_visit_tasks_house_id"), "visit_tasks", ["house_id"])
    op.create_index("ix_visit_tasks_subject", "visit_tasks", ["subject_type", "subject_id"])
    op.create_index("ix_visit_tasks_grid_state", "visit_tasks", ["grid_code", "state"])
    op.create_table(
        "visit_results",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(100), nullable=True),
        sa.Column("sync_uuid", sa.Uuid(), nullable=False),
        sa.Column("result", sa.String(15), nullable=False),
        sa.Column("corrected", postgresql.JSONB(none_as_null=True), nullable=True),
        sa.Column("corrected_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "position",
            Geometry("POINT", srid=4326, spatial_index=False),
            nullable=True,
        ),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("proof_ok", sa.Boolean(), nullable=False),
        sa.Column("proof_faults", sa.ARRAY(sa.String(40)), server_default="{}", nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "result IN ('confirmed', 'differs', 'nobody_there', 'refused')",
            name=op.f("ck_visit_results_result"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["visit_tasks.id"], name=op.f("fk_visit_results_task_id_visit_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_visit_results_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_results")),
        sa.UniqueConstraint("sync_uuid", name=op.f("uq_visit_results_sync_uuid")),
    )
    op.create_index(op.f("ix_visit_results_task_id"), "visit_results", ["task_id"])


def downgrade():
    op.drop_table("visit_results")
    op.drop_table("visit_tasks")
