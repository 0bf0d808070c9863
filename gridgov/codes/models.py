"""Code tables (sex, ethnicity, reasons, hazards, ...) as versioned data, never enums in code."""

from datetime import date

from sqlalchemy import Date, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db


class Code(db.Model):
    """One code of one table in one version. A changed label is a new version; a dropped code is
    closed (valid_to), so old records keep a meaning."""

    __tablename__ = "codes"
    __table_args__ = (
        Index(
            "uq_codes_current",
            "table_name",
            "code",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date, server_default=text("CURRENT_DATE"))
    valid_to: Mapped[date | None] = mapped_column(Date)
