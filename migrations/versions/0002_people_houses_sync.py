"""People, houses, buildings, rentals, residences, code tables, sync records, conflicts, changes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:56:01.776745

"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "changes",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column(
            "txid",
            sa.BigInteger(),
            server_default=sa.text("(pg_current_xact_id()::text)::bigint"),
            nullable=False,
        ),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("record_key", sa.String(length=40), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_changes")),
    )
    op.create_index(op.f("ix_changes_grid_code"), "changes", ["grid_code"], unique=False)
    op.create_index("ix_changes_txid_seq", "changes", ["txid", "seq"], unique=False)
    op.create_table(
        "codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codes")),
    )
    op.create_index(
        "uq_codes_current",
        "codes",
        ["table_name", "code"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_table(
        "buildings",
        sa.Column("community_code", sa.String(length=15), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("compound", sa.String(length=100), nullable=True),
        sa.Column("building", sa.String(length=30), nullable=True),
        sa.Column("reserved_by", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column(
            "reserved_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_code"], ["areas.code"], name=op.f("fk_buildings_community_code_areas")
        ),
        sa.ForeignKeyConstraint(
            ["reserved_by"], ["users.id"], name=op.f("fk_buildings_reserved_by_users")
        ),
        sa.PrimaryKeyConstraint("community_code", "number", name=op.f("pk_buildings")),
    )
    op.create_index(
        "uq_buildings_name",
        "buildings",
        ["community_code", "compound", "building"],
        unique=True,
        postgresql_where=sa.text("compound IS NOT NULL"),
    )
    op.create_table(
        "conflicts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("record_key", sa.String(length=40), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("client_uuid", sa.Uuid(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("server_version", sa.Integer(), nullable=False),
        sa.Column("fields", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("theirs_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["grid_code"], ["areas.code"], name=op.f("fk_conflicts_grid_code_areas")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_conflicts_resolved_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts")),
    )
    op.create_index(op.f("ix_conflicts_grid_code"), "conflicts", ["grid_code"], unique=False)
    op.create_index(op.f("ix_conflicts_record_key"), "conflicts", ["record_key"], unique=False)
    op.create_geospatial_table(
        "houses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=25), nullable=False),
        sa.Column("community_code", sa.String(length=15), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("compound", sa.String(length=100), nullable=False),
        sa.Column("building", sa.String(length=30), nullable=False),
        sa.Column("unit", sa.String(length=10), server_default="", nullable=False),
        sa.Column("floor", sa.Integer(), nullable=False),
        sa.Column("room", sa.String(length=20), nullable=False),
        sa.Column("use", sa.String(length=10), nullable=False),
        sa.Column("structure", sa.String(length=10), nullable=True),
        sa.Column("floor_area", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("owner_name", sa.String(length=50), nullable=True),
        sa.Column("owner_id_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("owner_id_index", sa.LargeBinary(), nullable=True),
        sa.Column("owner_id_masked", sa.String(length=18), nullable=True),
        sa.Column("rented", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_code"], ["areas.code"], name=op.f("fk_houses_community_code_areas")
        ),
        sa.ForeignKeyConstraint(
            ["grid_code"], ["areas.code"], name=op.f("fk_houses_grid_code_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_houses")),
        sa.UniqueConstraint("code", name=op.f("uq_houses_code")),
    )
    op.create_index(
        "ix_houses_code_pattern",
        "houses",
        ["code"],
        unique=False,
        postgresql_ops={"code": "varchar_pattern_ops"},
    )
    op.create_geospatial_index(
        "ix_houses_geom",
        "houses",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_houses_grid_code"), "houses", ["grid_code"], unique=False)
    op.create_index(op.f("ix_houses_owner_id_index"), "houses", ["owner_id_index"], unique=False)
    op.create_table(
        "sync_records",
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column("content_hash", sa.LargeBinary(), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_records_user_id_users")
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_sync_records")),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("id_index", sa.LargeBinary(), nullable=False),
        sa.Column("id_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("id_masked", sa.String(length=18), nullable=False),
        sa.Column("id_kind", sa.String(length=20), nullable=False),
        sa.Column("capture_method", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("sex_mismatch", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("ethnicity", sa.String(length=2), nullable=True),
        sa.Column("phone_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("phone_index", sa.LargeBinary(), nullable=True),
        sa.Column("phone_masked", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("origin_code", sa.String(length=12), nullable=True),
        sa.Column("inflow_reason", sa.String(length=2), nullable=True),
        sa.Column("arrival_date", sa.Date(), nullable=True),
        sa.Column("special_concern", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("certificate_no_sealed", sa.LargeBinary(), nullable=True),
        sa.Column(
            "details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("house_id", sa.BigInteger(), nullable=True),
        sa.Column("grid_code", sa.String(length=15), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["grid_code"], ["areas.code"], name=op.f("fk_persons_grid_code_areas")
        ),
        sa.ForeignKeyConstraint(
            ["house_id"], ["houses.id"], name=op.f("fk_persons_house_id_houses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("id_index", name=op.f("uq_persons_id_index")),
    )
    op.create_index("ix_persons_grid_kind", "persons", ["grid_code", "kind"], unique=False)
    op.create_index(op.f("ix_persons_house_id"), "persons", ["house_id"], unique=False)
    op.create_index(op.f("ix_persons_phone_index"), "persons", ["phone_index"], unique=False)
    op.create_table(
        "rentals",
        sa.Column("house_id", sa.BigInteger(), nullable=False),
        sa.Column("landlord_name", sa.String(length=50), nullable=False),
        sa.Column("landlord_id_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("landlord_id_index", sa.LargeBinary(), nullable=False),
        sa.Column("landlord_id_masked", sa.String(length=18), nullable=False),
        sa.Column("landlord_phone_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("landlord_phone_masked", sa.String(length=20), nullable=True),
        sa.Column("landlord_address", sa.String(length=200), nullable=True),
        sa.Column("rental_use", sa.String(length=10), nullable=False),
        sa.Column("rented_area", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("hazards", sa.ARRAY(sa.String(length=10)), server_default="{}", nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["house_id"], ["houses.id"], name=op.f("fk_rentals_house_id_houses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("house_id", name=op.f("pk_rentals")),
    )
    op.create_index(
        op.f("ix_rentals_landlord_id_index"), "rentals", ["landlord_id_index"], unique=False
    )
    op.create_table(
        "residences",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("house_id", sa.BigInteger(), nullable=False),
        sa.Column("moved_in", sa.Date(), nullable=False),
        sa.Column("moved_out", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["house_id"], ["houses.id"], name=op.f("fk_residences_house_id_houses")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_residences_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residences")),
    )
    op.create_index(op.f("ix_residences_house_id"), "residences", ["house_id"], unique=False)
    op.create_index(op.f("ix_residences_person_id"), "residences", ["person_id"], unique=False)
    op.create_index(
        "uq_residences_current",
        "residences",
        ["person_id"],
        unique=True,
        postgresql_where=sa.text("moved_out IS NULL"),
    )


def downgrade():
    op.drop_index(
        "uq_residences_current",
        table_name="residences",
        postgresql_where=sa.text("moved_out IS NULL"),
    )
    op.drop_index(op.f("ix_residences_person_id"), table_name="residences")
    op.drop_index(op.f("ix_residences_house_id"), table_name="residences")
    op.drop_table("residences")
    op.drop_index(op.f("ix_rentals_landlord_id_index"), table_name="rentals")
    op.drop_table("rentals")
    op.drop_index(op.f("ix_persons_phone_index"), table_name="persons")
    op.drop_index(op.f("ix_persons_house_id"), table_name="persons")
    op.drop_index("ix_persons_grid_kind", table_name="persons")
    op.drop_table("persons")
    op.drop_table("sync_records")
    op.drop_index(op.f("ix_houses_owner_id_index"), table_name="houses")
    op.drop_index(op.f("ix_houses_grid_code"), table_name="houses")
    op.drop_geospatial_index(
        "ix_houses_geom", table_name="houses", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(
        "ix_houses_code_pattern",
        table_name="houses",
        postgresql_ops={"code": "varchar_pattern_ops"},
    )
    op.drop_geospatial_table("houses")
    op.drop_index(op.f("ix_conflicts_record_key"), table_name="conflicts")
    op.drop_index(op.f("ix_conflicts_grid_code"), table_name="conflicts")
    op.drop_table("conflicts")
    op.drop_index(
        "uq_buildings_name",
        table_name="buildings",
        postgresql_where=sa.text("compound IS NOT NULL"),
    )
    op.drop_table("buildings")
    op.drop_index(
        "uq_codes_current", table_name="codes", postgresql_where=sa.text("valid_to IS NULL")
    )
    op.drop_table("codes")
    op.drop_index("ix_changes_txid_seq", table_name="changes")
    op.drop_index(op.f("ix_changes_grid_code"), table_name="changes")
    op.drop_table("changes")
