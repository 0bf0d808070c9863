"""One pending declaration per ID number, kept by the database

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 10:00:00

A resident may have one declaration open at a time (a second is answered with the first's
reference). Advisory locks kept the rule before, at three round trips a submission; a unique
partial index keeps it for any number of submissions at once, and lets the public submission
run as single statements outside a transaction.
"""

from alembic import op
from sqlalchemy import text

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

OPEN = "state IN ('submitted', 'triaged', 'visiting', 'reviewed')"


def upgrade() -> None:
    op.create_index(
        "ux_declarations_pending",
        "declarations",
        ["id_index"],
        unique=True,
        postgresql_where=text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ux_declarations_pending", table_name="declarations")
