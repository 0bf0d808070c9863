"""The tables behind the statistics (migration 0003 creates them and the triggers that fill them).

stat_pending holds each write's net change to the counts of a grid cell; stat_totals holds the
folded counts of every area at every level, and stat_area_counts the same one row an area. A
count is the sum of the folded and the pending.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db


class StatPending(db.Model):
    __tablename__ = "stat_pending"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(15))
    measure: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(10))
    n: Mapped[int] = mapped_column(Integer)


class StatTotal(db.Model):
    __tablename__ = "stat_totals"

    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), primary_key=True)
    measure: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class StatAreaCount(db.Model):
    """The folded counts of one area, {measure: {key: n}} with births banded for `month`: what
    a request for an area's children reads, one row a child (migration 0017)."""

    __tablename__ = "stat_area_counts"

    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    counts: Mapped[dict] = mapped_column(JSONB)


class HouseGrid(db.Model):
    """The grid cell a house lay in from valid_from until valid_to."""

    __tablename__ = "house_grids"

    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id"), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(15))
    valid_to: Mapped[date | None] = mapped_column(Date)


class StatBirth(db.Model):
    """Birth months of the people of each area at every level (folded like stat_totals)."""

    __tablename__ = "stat_births"

    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), primary_key=True)
    key: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class StatBand(db.Model):
    """stat_births folded into the age bands of one month (the current one)."""

    __tablename__ = "stat_bands"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), primary_key=True)
    band: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class StatSnapshotDay(db.Model):
    """A month end whose counts are kept in stat_snapshots once ready, and kept current by the
    triggers of migration 0012; not ready: asked for, too far back for a request to keep."""

    __tablename__ = "stat_snapshot_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    ready: Mapped[bool] = mapped_column(Boolean, server_default="false")
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StatSnapshot(db.Model):
    __tablename__ = "stat_snapshots"

    day: Mapped[date] = mapped_column(
        ForeignKey("stat_snapshot_days.day", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), primary_key=True)
    measure: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)
