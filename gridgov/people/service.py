"""People: register, update, move and delete, for any writer (a device upload, a desk service).
Each write is given the rows it works on (the stored person, locked; the house they live in) or
looks them up itself; it never depends on what an upload fetched before it."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from sqlalchemy import func, select

from gridgov import feed, idnumber
from gridgov.audit.service import record
from gridgov.bulk import insert_rows
from gridgov.crypto import mask_phone, mask_tail
from gridgov.errors import NotFound, ValidationFailed
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people import schemas, transfers
from gridgov.people.diff import deleted_fields, differences
from gridgov.people.edits import over_stored
from gridgov.people.models import Person, Residence
from gridgov.people.views import view
from gridgov.records.checks import check_codes, load, parse_id, refuse
from gridgov.records.outcome import Outcome, Stale
from gridgov.records.writer import Writer, unknown_house_named

# Kept in `details` of a floating person (the rest of the block has columns of its own).
_FLOATING_COLUMNS = ("inflow_reason", "arrival_date", "origin_code", "special_concern")

# What a person's record needs of their house: rows, not entities, for hundreds at a time.
HOME_COLUMNS = (House.id, House.code, House.grid_code, House.deleted_at)


def homes(codes: set[str]) -> dict[str, object]:
    """The houses with these codes (HOME_COLUMNS), by code, in one query."""
    rows = db.session.execute(select(*HOME_COLUMNS).where(House.code.in_(codes)))
    return {row.code: row for row in rows}


def _home(code: str, known: Mapping[str, object]):
    """The house (id, code, grid_code, deleted_at) a person record names."""
    house = known.get(code) or homes({code}).get(code)
    if house is None or house.deleted_at is not None:
        raise unknown_house_named(code)
    return house


@dataclass
class PersonRecord:
    """A person record validated and sealed: what every write of it needs."""

    id: idnumber.IdNumber
    index: bytes  # the ID number's blind index
    values: dict  # the person's columns but the sealed ID number
    house: object  # HOME_COLUMNS of the house they live in
    phone: str | None
    moved_in: date | None

    @property
    def flags(self) -> list[str]:
        return ["sex_mismatch"] if self.values["sex_mismatch"] else []


def prepare(
    w: Writer,
    raw: dict,
    known_homes: Mapping[str, object] = {},  # noqa: B006
    stored: Person | None = None,
) -> PersonRecord:
    """Validate a person record and seal its numbers; an edit of `stored` (someone on record)
    is laid over their stored record first (over_stored). `known_homes` may give houses looked
    up beforehand (homes()), for a batch of many."""
    if stored is not None and isinstance(raw, dict):
        raw = over_stored(w, raw, stored)
    data = load(schemas.PERSON, raw)
    parsed = checked(w, data)
    house = _home(data["house_code"], known_homes)
    floating = data.get("floating") or {}
    details = {k: data[k] for k in schemas.DETAIL_FIELDS if data.get(k) is not None}
    if data["kind"] == "resident" and data.get("resident"):
        details["resident"] = data["resident"]
    if floating:
        details["floating"] = {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in floating.items()
            if k not in (*_FLOATING_COLUMNS, "certificate_no")
        }
        if floating.get("certificate_no"):
            details["floating"]["certificate_no"] = mask_tail(floating["certificate_no"])
    phone = data.get("phone")
    certificate = floating.get("certificate_no")
    values = {
        "id_kind": parsed.kind,
        "capture_method": data["capture_method"],
        "name": data["name"],
        "sex": data["sex"],
        "sex_mismatch": data["sex"] in ("1", "2") and data["sex"] != parsed.sex,
        "birth_date": parsed.birth_date,
        "ethnicity": data.get("ethnicity"),
        "phone_index": w.vault.index(phone, "phone") if phone else None,
        "phone_masked": mask_phone(phone) if phone else None,
        "kind": data["kind"],
        "origin_code": floating.get("origin_code"),
        "inflow_reason": floating.get("inflow_reason"),
        "arrival_date": floating.get("arrival_date"),
        "special_concern": bool(floating.get("special_concern")),
        "details": details,
        "house_id": house.id,
        "grid_code": house.grid_code,
        "certificate_no_sealed": (
            w.vault.seal(certificate, "person.certificate_no") if certificate else None
        ),
    }
    index = w.vault.index(parsed.number, "id_number")
    return PersonRecord(parsed, index, values, house, phone, data.get("moved_in"))


def checked(w: Writer, data: dict, prefix: str = "data.") -> idnumber.IdNumber:
    """The checks of a loaded person record beyond its schema: coded fields against the code
    tables, and the ID number (parsed). Every writer's person record passes them (an upload, a
    resident's declaration)."""
    errors = check_codes(data, schemas.PERSON_CODES, w.codes, prefix)
    if data.get("resident"):
        errors += check_codes(
            data["resident"], schemas.RESIDENT_CODES, w.codes, prefix + "resident."
        )
    if data.get("floating"):
        errors += check_codes(
            data["floating"], schemas.FLOATING_CODES, w.codes, prefix + "floating."
        )
    refuse(errors)
    return parse_id(data["id_number"], prefix + "id_number", w.today)


@dataclass
class PersonKey:
    """Whom a move or delete names (by the server's key or the ID number's blind index), and
    for a move, where to."""

    id: int | None
    index: bytes | None
    house_code: str | None
    moved_in: date | None
    number: str | None = None  # the ID number, when the record names them by it


def load_key(w: Writer, raw: dict) -> PersonKey:
    data = load(schemas.PERSON_KEY, raw)
    index = number = None
    if data.get("id") is None:
        number = parse_id(data["id_number"], "data.id_number", w.today).number
        index = w.vault.index(number, "id_number")
    return PersonKey(data.get("id"), index, data.get("house_code"), data.get("moved_in"), number)


def not_in_scope(person_id: int) -> NotFound:
    """Someone named by the server's key who is not on record in the writer's areas: the same
    answer whether the key is nobody's or someone's beyond them (a key can be guessed)."""
    return NotFound(f"No person with id {person_id} in your areas.", code="unknown_person")


def named_by_key(w: Writer, person_id: int, person: Person | None) -> Person:
    """The person a record names by key, if the writer may see them, else not_in_scope. A
    deleted record beyond the writer's areas is not theirs to register again by key either: the
    edit would be laid over it and show it."""
    if person is None or not w.covers(person.grid_code):
        raise not_in_scope(person_id)
    return person


def locked(index: bytes) -> Person | None:
    """The person with this ID number's blind index, locked until the transaction ends."""
    return db.session.scalar(select(Person).where(Person.id_index == index).with_for_update())


def locked_by_id(person_id: int) -> Person | None:
    """The person with this key, locked until the transaction ends."""
    return db.session.scalar(select(Person).where(Person.id == person_id).with_for_update())


@dataclass
class NewPerson:
    """A registration checked and sealed, not yet written (create_many writes it)."""

    values: dict  # the person's columns
    house_code: str
    moved_in: date
    flags: list[str]


def plan_create(w: Writer, rec: PersonRecord, captured_on: date) -> NewPerson:
    """The registration of someone not on record, checked without writing, so a batch can write
    all its registrations with one statement per table."""
    w.require_house(rec.house.code, rec.house.grid_code)
    number = rec.id.number
    row = {
        **rec.values,
        "id_index": rec.index,
        "id_sealed": w.vault.seal(number, "person.id_number"),
        "id_masked": idnumber.mask(number),
        "phone_sealed": _sealed_phone(w, rec.phone),
    }
    return NewPerson(row, rec.house.code, rec.moved_in or captured_on, rec.flags)


def create_many(w: Writer, new: list[NewPerson]) -> list[Outcome]:
    """Write registrations with one statement per table (the statistics triggers then run once
    for all of them), each with its residence, change-feed row and audit row."""
    db.session.flush()  # earlier records' changes first: these rows may follow them
    inserted = dict(
        (bytes(index), person_id)
        for person_id, index in insert_rows(
            db.session, Person, [n.values for n in new], returning=("id", "id_index")
        )
    )
    ids = [inserted[n.values["id_index"]] for n in new]
    residences = [
        {"person_id": i, "house_id": n.values["house_id"], "moved_in": n.moved_in}
        for i, n in zip(ids, new, strict=True)
    ]
    insert_rows(db.session, Residence, residences)
    outcomes = []
    for person_id, n in zip(ids, new, strict=True):
        person = SimpleNamespace(id=person_id, version=1, deleted_at=None, **n.values)
        feed.note_written("person", str(person_id), person.grid_code)
        record(
            "create_person",
            "person",
            str(person_id),
            actor_id=w.principal.user_id,
            device_id=w.device_id,
            after=view(person, n.house_code),
        )
        outcomes.append(Outcome("created", 201, key=str(person_id), version=1, flags=n.flags))
    return outcomes


def upsert(
    w: Writer, rec: PersonRecord, person: Person | None, base_version: int | None, captured_on: date
) -> Outcome:
    """Register or update a person. `person` is the one the record names (by id or ID number),
    locked, or None when nobody has it; `rec` was prepared over them (prepare(stored=...))."""
    house = rec.house
    if person is None:
        [outcome] = create_many(w, [plan_create(w, rec, captured_on)])
        return outcome
    # Scope before anything about the stored person is compared or told.
    w.require_house(house.code, house.grid_code)
    if person.deleted_at is None and not w.covers(person.grid_code):
        # Registered elsewhere: they moved here, which the side they are recorded in decides.
        return transfers.request(w, rec.index, rec.id.number, house, rec.moved_in or captured_on)
    diffs = differences(person, rec.values)
    if not diffs and person.deleted_at is None:
        return Outcome(
            "unchanged", 200, key=str(person.id), version=person.version, flags=rec.flags
        )
    moves = person.house_id != house.id or person.deleted_at is not None
    if moves:
        # Before any conflict: one filed with a date the record cannot take could only ever
        # be resolved one way.
        _check_moved_in(person, rec.moved_in or captured_on)
    if base_version != person.version:
        raise Stale(person.version, str(person.id), person.grid_code, diffs)
    before = view(person)
    old_grid = person.grid_code
    for name, value in rec.values.items():
        setattr(person, name, value)
    person.phone_sealed = _sealed_phone(w, rec.phone)
    person.deleted_at = None
    person.version += 1
    person.updated_at = func.now()
    if moves:
        _move_residence(person, house, rec.moved_in or captured_on)
    return _saved(w, person, "update_person", before, old_grid, house.code, rec.flags)


def _saved(w, person, action, before, old_grid, house_code, flags=()) -> Outcome:
    """After a change to a person: the change feed and the audit row."""
    feed.note_written("person", str(person.id), person.grid_code, old_grid)
    db.session.flush()
    record(
        action,
        "person",
        str(person.id),
        actor_id=w.principal.user_id,
        device_id=w.device_id,
        before=before,
        after=view(person, house_code),
    )
    return Outcome("updated", 200, key=str(person.id), version=person.version, flags=list(flags))


def _sealed_phone(w: Writer, phone: str | None) -> bytes | None:
    return w.vault.seal(phone, "person.phone") if phone else None


def _current_residence(person: Person) -> Residence | None:
    return db.session.scalar(
        select(Residence).where(Residence.person_id == person.id, Residence.moved_out.is_(None))
    )


def _check_moved_in(person: Person, on: date) -> None:
    """A new residence begins no earlier than the current one began, or than the last one
    ended (someone registered again after they left)."""
    current = _current_residence(person)
    if current is not None:
        if on < current.moved_in:
            raise ValidationFailed.field(
                "data.moved_in", f"is before the last move-in {current.moved_in}"
            )
        return
    left = db.session.scalar(
        select(func.max(Residence.moved_out)).where(Residence.person_id == person.id)
    )
    if left is not None and on < left:
        raise ValidationFailed.field("data.moved_in", f"is before the last move-out {left}")


def _move_residence(person: Person, house, on: date) -> None:
    _check_moved_in(person, on)
    current = _current_residence(person)
    if current is not None:
        current.moved_out = on
        db.session.flush()
    db.session.add(Residence(person_id=person.id, house_id=house.id, moved_in=on))


def move(
    w: Writer,
    key: PersonKey,
    person: Person | None,
    base_version: int | None,
    captured_on: date,
    known_homes: Mapping[str, object] = {},  # noqa: B006
) -> Outcome:
    """A person moves to another house (often another grid): history is kept. Someone whose
    record lies beyond the writer's areas (or who is not on record at all: the answer must not
    tell which) becomes a transfer request for staff to decide."""
    if not key.house_code:
        raise ValidationFailed.field("data.house_code", "a move names the new house")
    house = _home(key.house_code, known_homes)
    w.require_house(house.code, house.grid_code)
    if person is None or not w.covers(person.grid_code):
        if key.id is not None:
            raise not_in_scope(key.id)
        return transfers.request(w, key.index, key.number, house, key.moved_in or captured_on)
    if person.deleted_at is not None:
        raise NotFound(
            "No such person is registered; register them instead.", code="unknown_person"
        )
    if person.house_id == house.id:
        return Outcome("unchanged", 200, key=str(person.id), version=person.version)
    _check_moved_in(person, key.moved_in or captured_on)
    if base_version != person.version:
        ours = db.session.scalar(select(House.code).where(House.id == person.house_id))
        fields = [{"field": "house", "ours": ours, "theirs": key.house_code}]
        raise Stale(person.version, str(person.id), person.grid_code, fields)
    return relocate(w, person, house, key.moved_in or captured_on)


def relocate(w: Writer, person: Person, house, on: date) -> Outcome:
    """Move a person (locked) into a house from a day on: the residence history, the change
    feed and the audit row (a device's move, or an accepted transfer)."""
    before = view(person)
    old_grid = person.grid_code
    _move_residence(person, house, on)
    person.house_id, person.grid_code = house.id, house.grid_code
    person.version += 1
    person.updated_at = func.now()
    return _saved(w, person, "move_person", before, old_grid, house.code)


def delete(
    w: Writer, person: Person | None, base_version: int | None, captured_on: date
) -> Outcome:
    """Delete a person (`person`: the one the record names, locked, or None). One beyond the
    writer's areas is not registered as far as the answer tells."""
    if person is None or not w.covers(person.grid_code):
        raise NotFound("No such person is registered in your areas.", code="unknown_person")
    if person.deleted_at is not None:
        return Outcome("unchanged", 200, key=str(person.id), version=person.version)
    if base_version != person.version:
        raise Stale(person.version, str(person.id), person.grid_code, deleted_fields())
    current = _current_residence(person)
    if current is not None:
        current.moved_out = max(captured_on, current.moved_in)
    person.deleted_at, person.version = func.now(), person.version + 1
    feed.note("person", str(person.id), person.grid_code, "delete")
    record(
        "delete_person",
        "person",
        str(person.id),
        actor_id=w.principal.user_id,
        device_id=w.device_id,
        before=view(person),
    )
    return Outcome("deleted", 200, key=str(person.id), version=person.version)
