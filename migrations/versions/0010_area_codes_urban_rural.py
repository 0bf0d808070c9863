"""Area codes as NBS publishes them: the urban/rural class code (城乡分类代码) of a community and
the code above the district (its city), which the areas table does not hold

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("areas", sa.Column("urban_rural", sa.String(3), nullable=True))
    op.add_column("areas", sa.Column("upper_code", sa.String(12), nullable=True))
    op.create_check_constraint(
        op.f("ck_areas_urban_rural"),
        "areas",
        "urban_rural IS NULL OR (level = 'community' AND urban_rural ~ '^[12][0-9]{2}$')",
    )
    op.create_check_constraint(
        op.f("ck_areas_upper_code"),
        "areas",
        "upper_code IS NULL OR (level = 'district' AND upper_code ~ '^[0-9]{12}$')",
    )


def downgrade():
    op.drop_constraint("ck_areas_upper_code", "areas")
    op.drop_constraint("ck_areas_urban_rural", "areas")
    op.drop_column("areas", "upper_code")
    op.drop_column("areas", "urban_rural")
