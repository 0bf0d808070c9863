"""Door-visit tasks and the results uploaded for them."""

from datetime import datetime
from uuid import UUID

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.extensions import db
from gridgov.geo import SRID
from gridgov.hierarchy.models import GRID_CODE

TASK_STATES = ("open", "done", "withdrawn")
RESULTS = ("confirmed", "differs", "nobody_there", "refused")


class VisitTask(db.Model):
    """A door to knock on. The subject (a declaration, a plain house check, ...) is named by
    type and id without a foreign key: each subject type lives in its own package."""

    __tablename__ = "visit_tasks"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'done', 'withdrawn')", name="state"),
        Index("ix_visit_tasks_subject", "subject_type", "subject_id"),
        Index("ix_visit_tasks_grid_state", "grid_code", "state"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id"), index=True)
    # The house's cell when issued; an open task follows its house through a grid redraw.
    grid_code: Mapped[str] = mapped_column(GRID_CODE, ForeignKey("areas.code"))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: a rule did
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(10), server_default="open")
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))


class VisitResult(db.Model):
    """What a worker found at the door, kept whatever its proof: a result without a valid proof
    of visit has proof_ok false and names each fault, so nothing is silently accepted or lost."""

    __tablename__ = "visit_results"
    __table_args__ = (
        CheckConstraint(
            "result IN ('confirmed', 'differs', 'nobody_there', 'refused')", name="result"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("visit_tasks.id"), index=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(100))
    sync_uuid: Mapped[UUID] = mapped_column(Uuid, unique=True)  # the upload record's
    result: Mapped[str] = mapped_column(String(15))
    # Corrected fields as the worker sent them: personal values masked here, the whole block
    # sealed beside it for the reviewer who applies it.
    corrected: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True))
    corrected_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    note: Mapped[str | None] = mapped_column(Text)
    captured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the device's clock
    position = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False))
    distance_m: Mapped[float | None] = mapped_column(Float)  # from the house's point
    proof_ok: Mapped[bool] = mapped_column()
    proof_faults: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
