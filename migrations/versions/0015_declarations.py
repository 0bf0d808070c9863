"""Residents' declarations in staging, their state history, and versioned triage rules (with a
default set seeded as version 1)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 12:10:00
"""

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The district's examples (issue 15), in the order they are tried; frozen here as version 1.
DEFAULT_RULES = (
    ("与登记一致", "identical", {}, "no_change"),
    ("房屋未登记", "house_not_on_record", {}, "visit"),
    ("性别与身份证号不符", "sex_mismatch", {}, "visit"),
    ("已在辖区他处居住", "lives_elsewhere", {}, "visit"),
    ("出租房新增流动人口", "new_floating_in_rental", {}, "visit"),
    ("房屋居住人数超过6人", "occupants_above", {"n": 6}, "visit"),
    ("身份证号仅手工录入", "typed_only", {}, "visit"),
    ("电话号码变更", "field_changed", {"field": "phone"}, "desk"),
)
DEFAULT_SAMPLE_RATE = 0.05


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.{'version' if target == 'triage_rule_sets' else 'id'}"],
        name=op.f(f"fk_{table}_{column}_{target}"),
    )


def upgrade():
    op.create_table(
        "triage_rule_sets",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sample_rate", sa.Numeric(5, 4), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("created_by", sa.Integer(), nullable=True),
        # No foreign key: the rules outlive the account that stored them (and a TRUNCATE of
        # users in the tests must not cascade to the seeded rules).
        sa.CheckConstraint("sample_rate BETWEEN 0 AND 1", name=op.f("ck_triage_rule_sets_rate")),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_triage_rule_sets")),
    )
    op.create_table(
        "triage_rules",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("params", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("route", sa.String(10), nullable=False),
        _fk("triage_rules", "version", "triage_rule_sets"),
        sa.CheckConstraint(
            "route IN ('desk', 'visit', 'no_change')", name=op.f("ck_triage_rules_route")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_rules")),
    )
    op.create_index(op.f("ix_triage_rules_version"), "triage_rules", ["version"])
    op.create_table(
        "declarations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(14), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("route", sa.String(10), nullable=True),
        sa.Column("rule_name", sa.String(50), nullable=True),
        sa.Column("rules_version", sa.Integer(), nullable=True),
        sa.Column("street_code", sa.String(12), nullable=False),
        sa.Column("community_code", sa.String(12), nullable=False),
        sa.Column("grid_code", sa.String(15), nullable=True),
        sa.Column("area_code", sa.String(15), nullable=False),
        sa.Column("house_id", sa.BigInteger(), nullable=True),
        sa.Column("house_code", sa.String(25), nullable=True),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(10), nullable=True),
        sa.Column("id_index", sa.LargeBinary(), nullable=True),
        sa.Column("id_masked", sa.String(18), nullable=True),
        sa.Column("name_masked", sa.String(50), nullable=True),
        sa.Column("body_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("diff", JSONB(none_as_null=True), nullable=True),
        sa.Column("address_hash", sa.LargeBinary(), nullable=True),
        sa.Column("record_version", sa.Integer(), nullable=True),
        sa.Column("flags", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("visit_task_id", sa.BigInteger(), nullable=True),
        sa.Column("lookup_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "submitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("purge_after", sa.Date(), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        _fk("declarations", "parent_id", "declarations"),
        _fk("declarations", "rules_version", "triage_rule_sets"),
        _fk("declarations", "house_id", "houses"),
        _fk("declarations", "person_id", "persons"),
        _fk("declarations", "decided_by", "users"),
        sa.CheckConstraint(
            "state IN ('submitted', 'triaged', 'visiting', 'reviewed', 'approved', 'rejected', "
            "'withdrawn')",
            name=op.f("ck_declarations_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declarations")),
        sa.UniqueConstraint("reference", name=op.f("uq_declarations_reference")),
    )
    # The open queue, oldest first: walked in id order, scope filtered on the way.
    op.create_index(
        "ix_declarations_open",
        "declarations",
        ["id"],
        postgresql_where=sa.text("decided_at IS NULL"),
    )
    op.create_index(
        "ix_declarations_area",
        "declarations",
        ["area_code", "state"],
        postgresql_ops={"area_code": "varchar_pattern_ops"},
    )
    op.create_index("ix_declarations_address", "declarations", ["address_hash", "submitted_at"])
    op.create_index("ix_declarations_id_index", "declarations", ["id_index", "submitted_at"])
    for column in ("parent_id", "house_id", "person_id"):
        op.create_index(op.f(f"ix_declarations_{column}"), "declarations", [column])
    op.create_index(
        "ix_declarations_purge",
        "declarations",
        ["purge_after"],
        postgresql_where=sa.text("purge_after IS NOT NULL AND purged_at IS NULL"),
    )
    op.create_table(
        "declaration_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("declaration_id", sa.BigInteger(), nullable=False),
        sa.Column("from_state", sa.String(10), nullable=True),
        sa.Column("to_state", sa.String(10), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        _fk("declaration_events", "declaration_id", "declarations"),
        _fk("declaration_events", "actor_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration_events")),
    )
    op.create_index(
        op.f("ix_declaration_events_declaration_id"), "declaration_events", ["declaration_id"]
    )
    op.execute(
        sa.text("INSERT INTO triage_rule_sets (version, sample_rate) VALUES (1, :rate)").bindparams(
            rate=DEFAULT_SAMPLE_RATE
        )
    )
    for position, (name, kind, params, route) in enumerate(DEFAULT_RULES):
        op.execute(
            sa.text(
                "INSERT INTO triage_rules (version, position, name, kind, params, route) "
                "VALUES (1, :position, :name, :kind, CAST(:params AS jsonb), :route)"
            ).bindparams(
                position=position, name=name, kind=kind, params=json.dumps(params), route=route
            )
        )


def downgrade():
    op.drop_table("declaration_events")
    op.drop_table("declarations")
    op.drop_table("triage_rules")
    op.drop_table("triage_rule_sets")
