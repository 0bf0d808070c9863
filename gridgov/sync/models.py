"""What devices sent (for idempotent replays), conflicts for desk staff, and how far outcomes
were pruned."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db
from gridgov.hierarchy.models import GRID_CODE


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
    grid_code: Mapped[str] = mapped_column(GRID_CODE, ForeignKey("areas.code"), index=True)
    client_uuid: Mapped[UUID] = mapped_column(Uuid)
    base_version: Mapped[int] = mapped_column(Integer)
    server_version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list] = mapped_column(
        JSONB
    )  # [{field, theirs, ours}] with personal values masked
    theirs_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # the device's full record, encrypted
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who sent the edit
    device_id: Mapped[str | None] = mapped_column(String(100))  # from which device
    status: Mapped[str] = mapped_column(String(10), server_default="open")
    choice: Mapped[str | None] = mapped_column(String(10))  # ours or theirs, once resolved
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PruneCutoff(db.Model):
    """The latest cutoff before which upload outcomes were pruned (one row). Uploads refuse a
    record captured before it (plus the clock skew): its first outcome may be gone."""

    __tablename__ = "sync_prune_cutoff"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    created_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
