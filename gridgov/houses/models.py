"""Houses (with their 25-digit codes) and the rental details of rented ones."""

from datetime import date, datetime
from decimal import Decimal

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db
from gridgov.geo import SRID
from gridgov.hierarchy.models import GRID_CODE


class House(db.Model):
    __tablename__ = "houses"
    __table_args__ = (
        Index("ix_houses_geom", "geom", postgresql_using="gist"),
        Index("ix_houses_code_pattern", "code", postgresql_ops={"code": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(25), unique=True)  # never reused, even once deleted
    community_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    grid_code: Mapped[str] = mapped_column(GRID_CODE, ForeignKey("areas.code"), index=True)
    compound: Mapped[str] = mapped_column(String(100))
    building: Mapped[str] = mapped_column(String(30))
    unit: Mapped[str] = mapped_column(String(10), server_default="")
    floor: Mapped[int] = mapped_column(Integer)
    room: Mapped[str] = mapped_column(String(20))
    use: Mapped[str] = mapped_column(String(10))
    structure: Mapped[str | None] = mapped_column(String(10))
    floor_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    owner_name: Mapped[str | None] = mapped_column(String(50))
    owner_id_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    owner_id_index: Mapped[bytes | None] = mapped_column(LargeBinary, index=True)
    owner_id_masked: Mapped[str | None] = mapped_column(String(18))
    rented: Mapped[bool] = mapped_column(server_default=text("false"))
    occupants: Mapped[int] = mapped_column(Integer, server_default="0")  # kept by a trigger
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Rental(db.Model):
    """出租房屋: the rental details of a house, part of the house record."""

    __tablename__ = "rentals"

    house_id: Mapped[int] = mapped_column(
        ForeignKey("houses.id", ondelete="CASCADE"), primary_key=True
    )
    landlord_name: Mapped[str] = mapped_column(String(50))
    landlord_id_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    landlord_id_index: Mapped[bytes] = mapped_column(LargeBinary, index=True)
    landlord_id_masked: Mapped[str] = mapped_column(String(18))
    landlord_phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    landlord_phone_masked: Mapped[str | None] = mapped_column(String(20))
    landlord_address: Mapped[str | None] = mapped_column(String(200))
    rental_use: Mapped[str] = mapped_column(String(10))
    rented_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    hazards: Mapped[list[str]] = mapped_column(ARRAY(String(10)), server_default="{}")
    registered_on: Mapped[date | None] = mapped_column(Date)


class Building(db.Model):
    """The 5-digit building number of a building in a community (digits 13-17 of a house code).
    A device may reserve numbers for offline work; a reserved number is bound to the first
    building it is used for. Numbers are never reused."""

    __tablename__ = "buildings"
    __table_args__ = (
        Index(
            "uq_buildings_name",
            "community_code",
            "compound",
            "building",
            unique=True,
            postgresql_where=text("compound IS NOT NULL"),
        ),
    )

    community_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    compound: Mapped[str | None] = mapped_column(String(100))
    building: Mapped[str | None] = mapped_column(String(30))
    reserved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(100))
    reserved_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
