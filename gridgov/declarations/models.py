"""Residents' declarations in staging (never the record itself), their state history, and the
versioned triage rules that route them."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
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
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.extensions import db

STATES = ("submitted", "triaged", "visiting", "reviewed", "approved", "rejected", "withdrawn")
OPEN_STATES = ("submitted", "triaged", "visiting", "reviewed")
# Terminal states whose personal fields are purged after the keeping period.
CLOSED_STATES = ("approved", "rejected", "withdrawn")
ROUTES = ("desk", "visit", "no_change")
PENDING_INDEX = "ux_declarations_pending"


class Declaration(db.Model):
    __tablename__ = "declarations"
    # The INSERT returns submitted_at: the answer is built without reading the row again.
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        # The open queue, oldest first: walked in id order, scope filtered on the way.
        Index("ix_declarations_open", "id", postgresql_where=text("decided_at IS NULL")),
        Index(
            "ix_declarations_area",
            "area_code",
            "state",
            postgresql_ops={"area_code": "varchar_pattern_ops"},
        ),
        Index("ix_declarations_address", "address_hash", "submitted_at"),
        Index("ix_declarations_id_index", "id_index", "submitted_at"),
        # One pending declaration per ID number (submit answers a second with its reference).
        Index(
            PENDING_INDEX,
            "id_index",
            unique=True,
            postgresql_where=text("state IN ('submitted', 'triaged', 'visiting', 'reviewed')"),
        ),
        Index(
            "ix_declarations_purge",
            "purge_after",
            postgresql_where=text("purge_after IS NOT NULL AND purged_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reference: Mapped[str] = mapped_column(String(14), unique=True)  # 'SB' + 12 base32
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"), index=True)
    state: Mapped[str] = mapped_column(String(10))
    route: Mapped[str | None] = mapped_column(String(10))
    rule_name: Mapped[str | None] = mapped_column(String(50))
    rules_version: Mapped[int | None] = mapped_column(ForeignKey("triage_rule_sets.version"))
    # Where it lands: the house's cell if the house is on record, else its community. Scope is
    # a prefix match on area_code.
    street_code: Mapped[str] = mapped_column(String(12))
    community_code: Mapped[str] = mapped_column(String(12))
    grid_code: Mapped[str | None] = mapped_column(String(15))
    area_code: Mapped[str] = mapped_column(String(15))
    house_id: Mapped[int | None] = mapped_column(ForeignKey("houses.id"), index=True)
    house_code: Mapped[str | None] = mapped_column(String(25))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str | None] = mapped_column(String(10))
    # Personal fields: erased by the purge, the decision kept.
    id_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_masked: Mapped[str | None] = mapped_column(String(18))
    name_masked: Mapped[str | None] = mapped_column(String(50))
    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # "declaration.body"
    diff: Mapped[list | None] = mapped_column(JSONB(none_as_null=True))  # masked values only
    address_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The record's version at triage (None: nobody on record then), for staleness.
    record_version: Mapped[int | None] = mapped_column(Integer)
    flags: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    reason: Mapped[str | None] = mapped_column(String(200))
    visit_task_id: Mapped[int | None] = mapped_column(BigInteger)
    lookup_failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    purge_after: Mapped[date | None] = mapped_column(Date)
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Written with the declaration (one INSERT for a batch of them), read in order.
    events: Mapped[list["DeclarationEvent"]] = relationship(
        order_by="DeclarationEvent.id", lazy="raise_on_sql"
    )


class DeclarationEvent(db.Model):
    """One transition: who (None: the resident or the server), when, why."""

    __tablename__ = "declaration_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reason: Mapped[str | None] = mapped_column(String(200))


class TriageRuleSet(db.Model):
    """A version of the rules. Never changed once stored: each decision names its version."""

    __tablename__ = "triage_rule_sets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sample_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[int | None] = mapped_column(Integer)  # a user id, kept without a key


class TriageRule(db.Model):
    __tablename__ = "triage_rules"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version: Mapped[int] = mapped_column(ForeignKey("triage_rule_sets.version"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(30))
    params: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    route: Mapped[str] = mapped_column(String(10))
