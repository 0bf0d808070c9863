"""People (one record per ID number across the district) and their dated residences."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db
from gridgov.hierarchy.models import GRID_CODE


class Person(db.Model):
    __tablename__ = "persons"
    # A cell's people in id order from one index: a device's keyset pages (migration 0020).
    __table_args__ = (Index("ix_persons_grid_id", "grid_code", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id_index: Mapped[bytes] = mapped_column(LargeBinary, unique=True)  # HMAC of the number
    id_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM, key version first
    id_masked: Mapped[str] = mapped_column(String(18))
    id_kind: Mapped[str] = mapped_column(String(20))
    capture_method: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(1))
    sex_mismatch: Mapped[bool] = mapped_column(server_default=text("false"))
    birth_date: Mapped[date] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(2))
    phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[bytes | None] = mapped_column(LargeBinary, index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))  # resident (户籍) or floating (流动)
    origin_code: Mapped[str | None] = mapped_column(String(12))  # floating: where from
    inflow_reason: Mapped[str | None] = mapped_column(String(2))
    arrival_date: Mapped[date | None] = mapped_column(Date)
    special_concern: Mapped[bool] = mapped_column(server_default=text("false"))
    certificate_no_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # 居住证 number
    details: Mapped[dict] = mapped_column(JSONB, server_default="{}")  # the rest of GB/T 31000
    house_id: Mapped[int | None] = mapped_column(ForeignKey("houses.id"), index=True)
    grid_code: Mapped[str | None] = mapped_column(GRID_CODE, ForeignKey("areas.code"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Residence(db.Model):
    """A person lived in a house from moved_in until moved_out (open while they still do)."""

    __tablename__ = "residences"
    __table_args__ = (
        Index(
            "uq_residences_current",
            "person_id",
            unique=True,
            postgresql_where=text("moved_out IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id"), index=True)
    moved_in: Mapped[date] = mapped_column(Date)
    moved_out: Mapped[date | None] = mapped_column(Date)


class TransferRequest(db.Model):
    """A worker recorded someone moving into their cell whose record lies beyond their areas
    (or who is not on record): the staff of either side accept or refuse it. The requester
    learns nothing about the person until then."""

    __tablename__ = "transfer_requests"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(100))
    id_index: Mapped[bytes] = mapped_column(LargeBinary, index=True)
    id_masked: Mapped[str] = mapped_column(String(18))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id"), index=True)
    moved_in: Mapped[date] = mapped_column(Date)  # when the device saw them there
    status: Mapped[str] = mapped_column(String(10), server_default="open")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(200))
