"""Refresh-token families and revocations, kept in PostgreSQL so every worker agrees."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db


class RefreshToken(db.Model):
    """One issued refresh token. Tokens rotated from one login share a family."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    family: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Revocation(db.Model):
    """A revoked access-token id or a revoked token family (then every token in it is dead)."""

    __tablename__ = "revocations"

    key: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # 'token' or 'family'
    reason: Mapped[str] = mapped_column(String(30))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AddressFailures(db.Model):
    """Failed logins from one network address in the current window, whatever the user names:
    the per-account lock does not stop one address trying a few passwords on many accounts."""

    __tablename__ = "login_address_failures"

    address: Mapped[str] = mapped_column(String(45), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer)


class UnknownNameFailures(db.Model):
    """Failed logins under a name that has no account, counted and locked exactly as an
    account's are: otherwise only real accounts would ever lock, and a lock would tell an
    attacker which names exist."""

    __tablename__ = "login_name_failures"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_logins: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
