"""Export jobs: an export written by the worker (`flask exports work`) outside any request."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Identity, String, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db

STATES = ("queued", "running", "done", "failed", "expired")


class ExportJob(db.Model):
    """One export asked for as a job. A worker claims it with a lease (claim, lease_until) it
    renews while writing; a lease that runs out frees the job for another worker, and only
    the holder of the current claim may finish it."""

    __tablename__ = "export_jobs"
    __table_args__ = (CheckConstraint(f"state IN {STATES}", name="state"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    area: Mapped[str] = mapped_column(String(15))
    params: Mapped[dict] = mapped_column(JSONB)  # the query arguments, replayed by the worker
    fmt: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), server_default="queued")
    rows_total: Mapped[int | None] = mapped_column(BigInteger)
    rows_done: Mapped[int] = mapped_column(BigInteger, server_default="0")
    attempts: Mapped[int] = mapped_column(server_default="0")
    claim: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    file_name: Mapped[str | None] = mapped_column(String(200))
    download_name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(300))
    size: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
