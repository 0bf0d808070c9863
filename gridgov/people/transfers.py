"""Transfer requests, as a device's record makes them: someone moved into the writer's cell whose
record lies beyond the writer's areas, or who is not on record at all. The answer is the same
either way and says nothing about the person; the staff of either side decide (desk.py)."""

from datetime import date

from sqlalchemy import select

from gridgov import idnumber
from gridgov.audit.service import record
from gridgov.extensions import db
from gridgov.people.models import Person, TransferRequest
from gridgov.records.outcome import Outcome
from gridgov.records.writer import Writer

REQUESTED = "Recorded as a transfer request: the street staff will decide on it."


def request(w: Writer, index: bytes, number: str, house, moved_in: date) -> Outcome:
    """Keep the move as a request. `house` is the new house, in the writer's areas."""
    person_id = db.session.scalar(
        select(Person.id).where(Person.id_index == index, Person.deleted_at.is_(None))
    )
    transfer = TransferRequest(
        requested_by=w.principal.user_id,
        device_id=w.device_id,
        id_index=index,
        id_masked=idnumber.mask(number),
        person_id=person_id,
        house_id=house.id,
        moved_in=moved_in,
    )
    db.session.add(transfer)
    db.session.flush()
    record(
        "request_transfer",
        "transfer",
        str(transfer.id),
        actor_id=w.principal.user_id,
        device_id=w.device_id,
        after={"id_number": transfer.id_masked, "house": house.code, "moved_in": str(moved_in)},
    )
    return Outcome("transfer_requested", 202, key=str(transfer.id), detail=REQUESTED)
