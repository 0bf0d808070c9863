"""A redraw proposal, its blocks and houses, and the lineage an approval leaves (migration 0005)."""

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import ARRAY, BigInteger, Date, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db
from gridgov.geo import SRID


class Proposal(db.Model):
    __tablename__ = "grid_proposals"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    status: Mapped[str] = mapped_column(String(12), server_default="draft")
    min_households: Mapped[int] = mapped_column(Integer)
    max_households: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(10))  # roads or compounds
    fingerprint: Mapped[str] = mapped_column(String(32))
    # Redraw only these cells in force (split or merge them); None: every general cell.
    cells: Mapped[list[str] | None] = mapped_column(ARRAY(String(15)))
    roads = mapped_column(Geometry("MULTILINESTRING", srid=SRID, spatial_index=False))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    effective_date: Mapped[date | None] = mapped_column(Date)


class ProposalBlock(db.Model):
    """The land between roads (or of one compound) that a proposal hands to one of its cells."""

    __tablename__ = "grid_proposal_blocks"

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("grid_proposals.id", ondelete="CASCADE"), primary_key=True
    )
    block_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell: Mapped[int] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer)
    persons: Mapped[int] = mapped_column(Integer)
    compounds: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False))


class ProposalHouse(db.Model):
    __tablename__ = "grid_proposal_houses"

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("grid_proposals.id", ondelete="CASCADE"), primary_key=True
    )
    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id"), primary_key=True)
    block_no: Mapped[int] = mapped_column(Integer)


class Lineage(db.Model):
    """An old cell gave `households` (a `share` of its own) to a new cell on a redraw."""

    __tablename__ = "grid_lineage"

    old_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), primary_key=True)
    new_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), primary_key=True, index=True)
    community_code: Mapped[str] = mapped_column(String(15), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("grid_proposals.id"))
    effective_date: Mapped[date] = mapped_column(Date)
    households: Mapped[int] = mapped_column(Integer)
    share: Mapped[float]
    area_m2: Mapped[float]
