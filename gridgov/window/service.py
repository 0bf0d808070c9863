"""Window registration: a clerk's record of a walk-in resident, written exactly as a device's
person upsert is (people.service: the same checks, sealing, residence, change feed, audit and
statistics), with the clerk as the writer and "window" where a device would be named. Someone
recorded beyond the clerk's street becomes a transfer request, as from a device; a correction
from an older version is refused with both sides, field by field (masked)."""

from gridgov.audit.service import record
from gridgov.errors import Conflict, GridgovError, ValidationFailed, field_error
from gridgov.extensions import db
from gridgov.people import edits
from gridgov.people import service as people
from gridgov.people.views import get_person
from gridgov.records.outcome import Stale
from gridgov.records.writer import Writer

CHANNEL = "window"  # the device_id of every row a window registration writes


def _renamed(e: GridgovError) -> GridgovError:
    """The write path names fields as an upload's (data.x); here they are the body's person.x."""
    for error in e.errors:
        if error["field"].startswith("data."):
            error["field"] = "person." + error["field"][len("data.") :]
    if isinstance(e, ValidationFailed):
        e.detail = e.detail.replace("data.", "person.")
    return e


def stale_version(e: Stale, base_version: int | None) -> Conflict:
    """Both sides of each field that changed since the version the clerk read (masked)."""
    errors = [
        field_error(
            f"person.{f['field']}",
            f"stored {f.get('ours')!r}, yours {f.get('theirs')!r}",
        )
        for f in e.fields
    ]
    read = f"version {base_version}" if base_version else "no version"
    return Conflict(
        f"The record changed since it was read ({read}; it is now version "
        f"{e.current_version}): read it again and correct that.",
        errors=errors,
        code="stale_version",
    )


def register(
    w: Writer, raw: dict, capture_method: str, base_version: int | None, person_id=None
) -> dict:
    """Register or correct a person at the window, in one transaction."""
    raw = {**raw, "capture_method": capture_method}
    if person_id is not None:
        raw["id"] = person_id
    try:
        key, index = edits.upsert_key(w, raw)
        person = people.locked_by_id(key) if key is not None else None
        if key is not None:
            person = people.named_by_key(w, key, person)
        elif index is not None:
            person = people.locked(index)
        # Only a record in the clerk's street is laid under a correction (as for an upload).
        stored = person if person is not None and w.covers(person.grid_code) else None
        rec = people.prepare(w, raw, stored=stored)
        outcome = people.upsert(w, rec, person, base_version, w.today)
    except Stale as e:
        db.session.rollback()
        raise stale_version(e, base_version) from None
    except GridgovError as e:
        db.session.rollback()
        raise _renamed(e) from None
    record(
        "window_registration",
        "person" if outcome.outcome != "transfer_requested" else "transfer",
        outcome.key,
        actor_id=w.principal.user_id,
        device_id=CHANNEL,
        after={
            "verified_by": w.principal.username,
            "capture_method": capture_method,
            "outcome": outcome.outcome,
        },
    )
    db.session.commit()
    answer = outcome.as_dict()
    shown = outcome.outcome != "transfer_requested"
    answer["person"] = get_person(w.principal, int(outcome.key)) if shown else None
    return answer
