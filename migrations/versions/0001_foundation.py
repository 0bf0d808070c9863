"""Foundation: area hierarchy with grid cells, accounts, tokens, audit trail

Revision ID: 0001
Revises:
Create Date: 2026-11-22 01:29:48.216412

"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # A no-op where the superuser created it already (make run/test do); needs rights otherwise.
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    # Area in m² of a small WGS84 geometry: the planar area in square degrees times the length of
    # a degree of latitude and of longitude at its centroid (WGS84 ellipsoid series). Geography
    # areas and re-projected areas both lose square metres to rounding on thin slivers, which
    # are what topology checks measure; this keeps them exact and is within 0.1% over a district.
    op.execute(
        """
        CREATE FUNCTION area_m2(g geometry) RETURNS double precision
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
          SELECT ST_Area(g)
                 * (111132.954 - 559.822 * cos(2 * r) + 1.175 * cos(4 * r))
                 * (111412.84 * cos(r) - 93.5 * cos(3 * r) + 0.118 * cos(5 * r))
          FROM (SELECT radians(ST_Y(ST_Centroid(g))) AS r) AS lat
        $$
        """
    )
    op.create_geospatial_table(
        "areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_code", sa.String(length=15), nullable=True),
        sa.Column(
            "prefix",
            sa.String(length=15),
            sa.Computed(
                "CASE level WHEN 'district' THEN left(code, 6) WHEN 'street' THEN left(code, 9) ELSE code END",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("grid_type", sa.String(length=10), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("valid_from", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "(level = 'grid') = (grid_type IS NOT NULL) AND (grid_type IS NULL OR grid_type IN ('general', 'dedicated'))",
            name=op.f("ck_areas_grid_type"),
        ),
        sa.CheckConstraint(
            "code ~ '^[0-9]+$' AND length(code) = CASE level WHEN 'grid' THEN 15 ELSE 12 END",
            name=op.f("ck_areas_code_digits"),
        ),
        sa.CheckConstraint(
            "level IN ('district', 'street', 'community', 'grid')", name=op.f("ck_areas_level")
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_areas_validity")
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["areas.code"], name=op.f("fk_areas_parent_code_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_areas")),
        sa.UniqueConstraint("code", name=op.f("uq_areas_code")),
    )
    op.create_index(
        "ix_areas_code_pattern",
        "areas",
        ["code"],
        unique=False,
        postgresql_ops={"code": "varchar_pattern_ops"},
    )
    op.create_geospatial_index(
        "ix_areas_geom", "areas", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_areas_parent_code"), "areas", ["parent_code"], unique=False)
    op.create_index(
        "ix_areas_prefix",
        "areas",
        ["prefix"],
        unique=False,
        postgresql_ops={"prefix": "varchar_pattern_ops"},
    )
    op.create_table(
        "revocations",
        sa.Column("key", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_revocations")),
    )
    op.create_index(op.f("ix_revocations_expires_at"), "revocations", ["expires_at"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role IN ('grid_worker', 'street_staff', 'district_staff', 'admin')",
            name=op.f("ck_users_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("entity_type", sa.String(length=30), nullable=False),
        sa.Column("entity_key", sa.String(length=100), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"], unique=False)
    op.create_index(op.f("ix_audit_events_actor_id"), "audit_events", ["actor_id"], unique=False)
    op.create_index(
        op.f("ix_audit_events_entity_key"), "audit_events", ["entity_key"], unique=False
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("jti", sa.Uuid(), nullable=False),
        sa.Column("family", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_refresh_tokens")),
    )
    op.create_index(op.f("ix_refresh_tokens_family"), "refresh_tokens", ["family"], unique=False)
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"], unique=False)
    op.create_table(
        "user_areas",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=15), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"], ["areas.code"], name=op.f("fk_user_areas_area_code_areas")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_areas_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "area_code", name=op.f("pk_user_areas")),
    )
    op.create_index(op.f("ix_user_areas_area_code"), "user_areas", ["area_code"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_user_areas_area_code"), table_name="user_areas")
    op.drop_table("user_areas")
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_family"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_audit_events_entity_key"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_actor_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_action"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("users")
    op.drop_index(op.f("ix_revocations_expires_at"), table_name="revocations")
    op.drop_table("revocations")
    op.drop_index(
        "ix_areas_prefix", table_name="areas", postgresql_ops={"prefix": "varchar_pattern_ops"}
    )
    op.drop_index(op.f("ix_areas_parent_code"), table_name="areas")
    op.drop_geospatial_index(
        "ix_areas_geom", table_name="areas", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(
        "ix_areas_code_pattern", table_name="areas", postgresql_ops={"code": "varchar_pattern_ops"}
    )
    op.drop_geospatial_table("areas")
    op.execute("DROP FUNCTION area_m2(geometry)")
