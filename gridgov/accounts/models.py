"""People who log in, their role and the areas they are bound to."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.extensions import db

ROLES = ("grid_worker", "street_staff", "district_staff", "admin")
# The level of area each role is bound to; admins are not bound (they manage accounts).
ROLE_LEVEL = {"grid_worker": "grid", "street_staff": "street", "district_staff": "district"}


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('grid_worker', 'street_staff', 'district_staff', 'admin')", name="role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), server_default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    failed_logins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Logins (token families) begun before this have ended: set by a password reset and when
    # the account is disabled or enabled again.
    sessions_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    areas: Mapped[list["UserArea"]] = relationship(
        cascade="all, delete-orphan", order_by="UserArea.area_code", lazy="selectin"
    )

    @property
    def area_codes(self) -> list[str]:
        return [a.area_code for a in self.areas]


class UserArea(db.Model):
    __tablename__ = "user_areas"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), primary_key=True, index=True)
