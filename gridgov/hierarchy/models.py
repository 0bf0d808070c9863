"""The area hierarchy: district > street > community > grid cell, one table, one code column."""

from datetime import date

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Computed, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db
from gridgov.geo import SRID

LEVELS = ("district", "street", "community", "grid")
GRID_TYPES = ("general", "dedicated")  # 综合网格, 专属网格
# The grid code of a record, compared byte by byte: scope matches it by prefix, and only in the
# C collation can a btree serve `LIKE 'prefix%'` and the planner estimate how many rows a
# prefix holds (migration 0018). Codes are digits, so nothing sorts differently.
GRID_CODE = String(15, collation="C")

CODE_LENGTH = {"district": 12, "street": 12, "community": 12, "grid": 15}

# How many leading digits of an area's code every descendant's code shares (domain.md §1): the
# one owner of these lengths, for Python (prefix_of), the computed column and statistics SQL.
PREFIX_LENGTH = {"district": 6, "street": 9, "community": 12, "grid": 15}
# The computed column, as migration 0001 created it: a community's and a cell's whole code.
PREFIX_SQL = (
    "CASE level "
    + " ".join(f"WHEN '{lv}' THEN left(code, {PREFIX_LENGTH[lv]})" for lv in ("district", "street"))
    + " ELSE code END"
)


class Area(db.Model):
    __tablename__ = "areas"
    __table_args__ = (
        CheckConstraint("level IN ('district', 'street', 'community', 'grid')", name="level"),
        CheckConstraint(
            "(level = 'grid') = (grid_type IS NOT NULL) "
            "AND (grid_type IS NULL OR grid_type IN ('general', 'dedicated'))",
            name="grid_type",
        ),
        CheckConstraint(
            "code ~ '^[0-9]+$' AND length(code) = CASE level WHEN 'grid' THEN 15 ELSE 12 END",
            name="code_digits",
        ),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
        CheckConstraint(
            "urban_rural IS NULL OR (level = 'community' AND urban_rural ~ '^[12][0-9]{2}$')",
            name="urban_rural",
        ),
        CheckConstraint(
            "upper_code IS NULL OR (level = 'district' AND upper_code ~ '^[0-9]{12}$')",
            name="upper_code",
        ),
        Index("ix_areas_code_pattern", "code", postgresql_ops={"code": "varchar_pattern_ops"}),
        Index("ix_areas_prefix", "prefix", postgresql_ops={"prefix": "varchar_pattern_ops"}),
        Index("ix_areas_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), index=True)
    prefix: Mapped[str] = mapped_column(String(15), Computed(PREFIX_SQL, persisted=True))
    grid_type: Mapped[str | None] = mapped_column(String(10))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=True)
    valid_from: Mapped[date] = mapped_column(Date, server_default=text("CURRENT_DATE"))
    valid_to: Mapped[date | None] = mapped_column(Date)
    # NBS 城乡分类代码 of a community (111 主城区 ... 220 村庄), as the code list publishes it.
    urban_rural: Mapped[str | None] = mapped_column(String(3))
    # The code above a district (its city), which this table does not hold as an area.
    upper_code: Mapped[str | None] = mapped_column(String(12))


def prefix_of(code: str, level: str) -> str:
    """The code prefix shared by an area and all its descendants (mirrors PREFIX_SQL)."""
    return code[: PREFIX_LENGTH[level]]
