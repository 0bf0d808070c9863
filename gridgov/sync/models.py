"""What devices sent (for idempotent replays), conflicts for desk staff, and the change feed."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db


class SyncRecord(db.Model):
    """The outcome of one uploaded record, kept under the device's UUID."""

    __tablename__ = "sync_records"
    __table_args__ = (Index("ix_sync_records_created_at", "created_at", postgresql_using="brin"),)

    uuid: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[bytes] = mapped_column(LargeBinary)
    result: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Conflict(db.Model):
    """An edit made from a stale version: both sides kept for desk staff to resolve."""

    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(20))
    op: Mapped[str] = mapped_column(String(10), server_default="upsert")  # what the device did
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # and when
    record_key: Mapped[str] = mapped_column(String(40), index=True)
    grid_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    client_uuid: Mapped[UUID] = mapped_column(Uuid)
    base_version: Mapped[int] = mapped_column(Integer)
    server_version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list] = mapped_column(
        JSONB
    )  # [{field, theirs, ours}] with personal values masked
    theirs_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # the device's full record, encrypted
    status: Mapped[str] = mapped_column(String(10), server_default="open")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


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
    grid_code: Mapped[str] = mapped_column(String(15), index=True)
    record_type: Mapped[str] = mapped_column(String(20))
    record_key: Mapped[str] = mapped_column(String(40))
    op: Mapped[str] = mapped_column(String(10))  # upsert, delete, left (moved out of this grid)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
