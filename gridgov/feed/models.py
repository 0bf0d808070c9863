"""The change feed: one row per change a device in that grid cell should hear about."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db
from gridgov.hierarchy.models import GRID_CODE


class Change(db.Model):
    """One change a device in that grid should hear about.

    Sequence numbers are handed out before commit, so a reader could see seq 10 while seq 9 is
    still uncommitted and skip it for ever. Each change therefore records its transaction id,
    and the feed only serves transactions older than every transaction still running."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_txid_seq", "txid", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    txid: Mapped[int] = mapped_column(
        BigInteger, server_default=text("(pg_current_xact_id()::text)::bigint")
    )
    grid_code: Mapped[str] = mapped_column(GRID_CODE, index=True)
    record_type: Mapped[str] = mapped_column(String(20))
    record_key: Mapped[str] = mapped_column(String(40))
    op: Mapped[str] = mapped_column(String(10))  # upsert, delete, left (moved out of this grid)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
