"""One row per area with all its counts: today's statistics of an area's children read one
row a child instead of ~60

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-01 12:20:00

The district by its 109 communities read ~6,500 rows of stat_totals and stat_bands (one per
area, measure and key) and folded them into one JSON object per child: 24-36 ms of the
statement alone at 1M persons. stat_area_counts holds that object, {measure: {key: n}} with
the birth months banded for `month`, for every area at every level. The fold
(gridgov/stats/store.py) rewrites the rows of the areas it touched, in its transaction, from
stat_totals and stat_bands, which stay the truth; what is still pending is added when read.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stat_area_counts",
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("area_code", sa.String(15, collation="C"), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("counts", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("level", "area_code", name="pk_stat_area_counts"),
    )
    # The rows as the fold writes them (store.AREA_COUNTS), for the counts folded so far.
    op.execute(
        """
        INSERT INTO stat_area_counts (level, area_code, month, counts)
        SELECT level, area_code, coalesce((SELECT max(month) FROM stat_bands),
                                          date_trunc('month', current_date)::date),
               jsonb_object_agg(measure, keys)
        FROM (
          SELECT level, area_code, measure, jsonb_object_agg(key, n) AS keys FROM (
            SELECT level, area_code, measure, key, n FROM stat_totals WHERE n <> 0
            UNION ALL
            SELECT level, area_code, 'birth', band, n FROM stat_bands
            WHERE n <> 0 AND month = (SELECT max(month) FROM stat_bands)
          ) t GROUP BY 1, 2, 3
        ) m GROUP BY 1, 2
        """
    )


def downgrade():
    op.drop_table("stat_area_counts")
