"""People: register, update, move and delete from device uploads; scoped, masked reads; and the
deliberate, audited act of showing an ID or phone number in full."""

import re
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import func, select

from gridgov.audit.service import record
from gridgov.auth.scope import Principal, inside
from gridgov.bulk import insert_rows
from gridgov.crypto import mask_phone, mask_tail
from gridgov.errors import Forbidden, NotFound, ValidationFailed
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people import idnumber
from gridgov.people.models import Person, Residence
from gridgov.sync import schemas
from gridgov.sync.records import (
    HOME_COLUMNS,
    Outcome,
    Stale,
    WriteContext,
    check_codes,
    note_change,
    parse_id,
    require_scope,
)

DETAIL_FIELDS = (
    "former_name",
    "marital_status",
    "political_status",
    "education",
    "religion",
    "occupation",
    "workplace",
    "hukou_address",
)
COMPARED = (
    "name",
    "sex",
    "ethnicity",
    "phone_index",
    "kind",
    "origin_code",
    "inflow_reason",
    "arrival_date",
    "special_concern",
    "details",
    "capture_method",
    "house_id",
)
REVEALABLE = {
    "id_number": ("id_sealed", "person.id_number"),
    "phone": ("phone_sealed", "person.phone"),
}


def _load(schema, raw: dict) -> dict:
    try:
        return schema.load(raw)
    except MarshmallowError as e:
        raise ValidationFailed.of_schema(e.messages, "data.") from None


def _house(ctx: WriteContext, code: str):
    """The house (id, code, grid_code, deleted_at) a person record names."""
    house = (
        ctx.homes.get(code)
        or ctx.houses.get(code)
        or db.session.execute(select(*HOME_COLUMNS).where(House.code == code)).one_or_none()
    )
    if house is None or house.deleted_at is not None:
        raise ValidationFailed.field("data.house_code", f"{code} is not a known house")
    return house


def _prepare(ctx: WriteContext, raw: dict) -> tuple[dict, dict, object]:
    data = _load(schemas.PERSON, raw)
    errors = check_codes(data, schemas.PERSON_CODES, ctx.codes, "data.")
    if data.get("resident"):
        errors += check_codes(data["resident"], schemas.RESIDENT_CODES, ctx.codes, "data.resident.")
    if data.get("floating"):
        errors += check_codes(data["floating"], schemas.FLOATING_CODES, ctx.codes, "data.floating.")
    if errors:
        raise ValidationFailed("; ".join(e["message"] for e in errors), errors=errors)
    parsed = parse_id(data["id_number"], "data.id_number", ctx.today)
    house = _house(ctx, data["house_code"])
    floating = data.get("floating") or {}
    details = {k: data[k] for k in DETAIL_FIELDS if data.get(k) is not None}
    if data["kind"] == "resident" and data.get("resident"):
        details["resident"] = data["resident"]
    if floating:
        details["floating"] = {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in floating.items()
            if k
            not in (
                "inflow_reason",
                "arrival_date",
                "origin_code",
                "special_concern",
                "certificate_no",
            )
        }
        if floating.get("certificate_no"):
            details["floating"]["certificate_no"] = mask_tail(floating["certificate_no"])
    phone = data.get("phone")
    values = {
        "id_kind": parsed.kind,
        "capture_method": data["capture_method"],
        "name": data["name"],
        "sex": data["sex"],
        "sex_mismatch": data["sex"] in ("1", "2") and data["sex"] != parsed.sex,
        "birth_date": parsed.birth_date,
        "ethnicity": data.get("ethnicity"),
        "phone_index": ctx.vault.index(phone, "phone") if phone else None,
        "phone_masked": mask_phone(phone) if phone else None,
        "kind": data["kind"],
        "origin_code": floating.get("origin_code"),
        "inflow_reason": floating.get("inflow_reason"),
        "arrival_date": floating.get("arrival_date"),
        "special_concern": bool(floating.get("special_concern")),
        "details": details,
        "house_id": house.id,
        "grid_code": house.grid_code,
    }
    certificate = floating.get("certificate_no")
    values["certificate_no_sealed"] = (
        ctx.vault.seal(certificate, "person.certificate_no") if certificate else None
    )
    secrets = {"id": parsed, "phone": phone, "moved_in": data.get("moved_in")}
    return secrets, values, house


def _find(ctx: WriteContext, number: str) -> Person | None:
    """The person with this ID number, locked. A batch has locked and fetched them already;
    one it found absent and has since registered is looked up (and locked) again."""
    index = ctx.vault.index(number, "id_number")
    if index in ctx.persons:
        return ctx.persons[index]
    if index in ctx.absent:
        ctx.absent.discard(index)
        return None
    return db.session.scalar(select(Person).where(Person.id_index == index).with_for_update())


@dataclass
class NewPerson:
    """A registration checked and sealed, not yet written (create_many writes it)."""

    values: dict  # the person's columns
    house_code: str
    moved_in: date
    flags: list[str]


def plan_create(ctx: WriteContext, env: dict) -> NewPerson | None:
    """A batch's registration of someone not on record, checked without writing, so the batch
    can write all its registrations with one statement per table. None when the person is on
    record or the batch registers them already: upsert then decides."""
    number = env["data"].get("id_number")
    # The batch indexed every valid number; none here, and _prepare says what is wrong.
    index = ctx.indexes.get(number) if isinstance(number, str) else None
    if index is not None and index not in ctx.absent:
        return None  # someone on record: upsert checks the record (once)
    secrets, values, house = _prepare(ctx, env["data"])
    index = index or ctx.vault.index(secrets["id"].number, "id_number")
    require_scope(ctx, house.grid_code, "The house")
    ctx.absent.discard(index)
    return _new_person(ctx, env, secrets, values, house, index)


def _new_person(ctx, env, secrets, values, house, index) -> NewPerson:
    number = secrets["id"].number
    row = {
        **values,
        "id_index": index,
        "id_sealed": ctx.vault.seal(number, "person.id_number"),
        "id_masked": idnumber.mask(number),
        "phone_sealed": _sealed_phone(ctx, secrets["phone"]),
    }
    moved_in = secrets["moved_in"] or env["captured_at"].date()
    flags = ["sex_mismatch"] if values["sex_mismatch"] else []
    return NewPerson(row, house.code, moved_in, flags)


def create_many(ctx: WriteContext, new: list[NewPerson]) -> list[Outcome]:
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
        note_change("person", str(person_id), person.grid_code, "upsert")
        record(
            "create_person",
            "person",
            str(person_id),
            actor_id=ctx.principal.user_id,
            device_id=ctx.device_id,
            after=view(person, n.house_code),
        )
        outcomes.append(Outcome("created", 201, key=str(person_id), version=1, flags=n.flags))
    return outcomes


def upsert(ctx: WriteContext, env: dict) -> Outcome:
    secrets, values, house = _prepare(ctx, env["data"])
    parsed = secrets["id"]
    person = _find(ctx, parsed.number)
    flags = ["sex_mismatch"] if values["sex_mismatch"] else []
    if person is None:
        require_scope(ctx, house.grid_code, "The house")
        index = ctx.vault.index(parsed.number, "id_number")
        [outcome] = create_many(ctx, [_new_person(ctx, env, secrets, values, house, index)])
        return outcome
    diffs = differences(person, values)
    if not diffs and person.deleted_at is None:
        return Outcome("unchanged", 200, key=str(person.id), version=person.version, flags=flags)
    require_scope(
        ctx, person.grid_code if person.deleted_at is None else house.grid_code, "The person"
    )
    if env.get("base_version") != person.version:
        raise Stale(person.version)
    require_scope(ctx, house.grid_code, "The house")
    before = view(person)
    old_grid, old_house = person.grid_code, person.house_id
    returning = person.deleted_at is not None  # registered again: their residence was closed
    for name, value in values.items():
        setattr(person, name, value)
    person.phone_sealed = _sealed_phone(ctx, secrets["phone"])
    person.deleted_at = None
    person.version += 1
    person.updated_at = func.now()
    if old_house != house.id or returning:
        _move_residence(person, house, secrets["moved_in"] or env["captured_at"].date())
    return _saved(ctx, person, "update_person", before, old_grid, house.code, flags)


def _saved(ctx, person, action, before, old_grid, house_code, flags=()) -> Outcome:
    """After a change to a person: the change feed (with a tombstone for the grid they left,
    if any) and the audit row."""
    if old_grid != person.grid_code:
        note_change("person", str(person.id), old_grid, "left")
    note_change("person", str(person.id), person.grid_code, "upsert")
    db.session.flush()
    record(
        action,
        "person",
        str(person.id),
        actor_id=ctx.principal.user_id,
        device_id=ctx.device_id,
        before=before,
        after=view(person, house_code),
    )
    return Outcome("updated", 200, key=str(person.id), version=person.version, flags=list(flags))


def _sealed_phone(ctx: WriteContext, phone: str | None) -> bytes | None:
    return ctx.vault.seal(phone, "person.phone") if phone else None


def _current_residence(person: Person) -> Residence | None:
    return db.session.scalar(
        select(Residence).where(Residence.person_id == person.id, Residence.moved_out.is_(None))
    )


def _move_residence(person: Person, house: House, on: date) -> None:
    current = _current_residence(person)
    if current is not None:
        if on < current.moved_in:
            raise ValidationFailed.field(
                "data.moved_in", f"is before the last move-in {current.moved_in}"
            )
        current.moved_out = on
        db.session.flush()
    else:
        left = db.session.scalar(
            select(func.max(Residence.moved_out)).where(Residence.person_id == person.id)
        )
        if left is not None and on < left:
            raise ValidationFailed.field("data.moved_in", f"is before the last move-out {left}")
    db.session.add(Residence(person_id=person.id, house_id=house.id, moved_in=on))


def move(ctx: WriteContext, env: dict) -> Outcome:
    """A person moves to another house (often another grid): history is kept."""
    data = _load(schemas.PERSON_KEY, env["data"])
    if not data.get("house_code"):
        raise ValidationFailed.field("data.house_code", "a move names the new house")
    parsed = parse_id(data["id_number"], "data.id_number", ctx.today)
    person = _find(ctx, parsed.number)
    if person is None or person.deleted_at is not None:
        raise NotFound(
            "No such person is registered; register them instead.", code="unknown_person"
        )
    house = _house(ctx, data["house_code"])
    require_scope(ctx, house.grid_code, "The new house")
    if person.house_id == house.id:
        return Outcome("unchanged", 200, key=str(person.id), version=person.version)
    if env.get("base_version") != person.version:
        raise Stale(person.version)
    before = view(person)
    old_grid = person.grid_code
    _move_residence(person, house, data.get("moved_in") or env["captured_at"].date())
    person.house_id, person.grid_code = house.id, house.grid_code
    person.version += 1
    person.updated_at = func.now()
    return _saved(ctx, person, "move_person", before, old_grid, house.code)


def delete(ctx: WriteContext, env: dict) -> Outcome:
    data = _load(schemas.PERSON_KEY, env["data"])
    parsed = parse_id(data["id_number"], "data.id_number", ctx.today)
    person = _find(ctx, parsed.number)
    if person is None:
        raise NotFound("No such person is registered.", code="unknown_person")
    require_scope(ctx, person.grid_code, "The person")
    if person.deleted_at is not None:
        return Outcome("unchanged", 200, key=str(person.id), version=person.version)
    if env.get("base_version") != person.version:
        raise Stale(person.version)
    current = _current_residence(person)
    if current is not None:
        current.moved_out = max(env["captured_at"].date(), current.moved_in)
    person.deleted_at, person.version = func.now(), person.version + 1
    note_change("person", str(person.id), person.grid_code, "delete")
    record(
        "delete_person",
        "person",
        str(person.id),
        actor_id=ctx.principal.user_id,
        device_id=ctx.device_id,
        before=view(person),
    )
    return Outcome("updated", 200, key=str(person.id), version=person.version)


def differences(person: Person, values: dict) -> list[dict]:
    return [
        {
            "field": name,
            "ours": _show(getattr(person, name), name),
            "theirs": _show(values[name], name),
        }
        for name in COMPARED
        if getattr(person, name) != values[name]
    ]


def _show(value, name: str):
    if name == "phone_index":
        return "changed"  # never a phone number, not even masked, in a conflict listing
    if isinstance(value, date):
        return value.isoformat()
    return value


def conflict_fields(ctx: WriteContext, env: dict) -> tuple[str, str, list[dict]]:
    """(key, grid, field differences) of a stale edit, move or delete, for the conflict."""
    data = env["data"]
    if env["op"] == "upsert":
        secrets, values, _ = _prepare(ctx, data)
        person = _find(ctx, secrets["id"].number)
        return str(person.id), person.grid_code, differences(person, values)
    person = _find(ctx, parse_id(data["id_number"], "data.id_number", ctx.today).number)
    if env["op"] == "delete":
        fields = [{"field": "deleted", "ours": False, "theirs": True}]
    else:
        house = db.session.scalar(select(House.code).where(House.id == person.house_id))
        fields = [{"field": "house", "ours": house, "theirs": data["house_code"]}]
    return str(person.id), person.grid_code, fields


def view(person: Person, house_code: str | None = None) -> dict:
    """A person as a scoped reader sees them: ID and phone numbers masked."""
    if house_code is None:
        house_code = db.session.scalar(select(House.code).where(House.id == person.house_id))
    return {
        "id": person.id,
        "id_number": person.id_masked,
        "id_kind": person.id_kind,
        "name": person.name,
        "sex": person.sex,
        "sex_mismatch": person.sex_mismatch,
        # The year only: the masked ID number hides the birth date, and the date beside it
        # would complete the number (see README, "Masking").
        "birth_year": person.birth_date.year,
        "ethnicity": person.ethnicity,
        "phone": person.phone_masked,
        "kind": person.kind,
        "house": house_code,
        "grid": person.grid_code,
        "origin_code": person.origin_code,
        "inflow_reason": person.inflow_reason,
        "arrival_date": person.arrival_date.isoformat() if person.arrival_date else None,
        "special_concern": person.special_concern,
        "details": person.details,
        "capture_method": person.capture_method,
        "version": person.version,
        "deleted": person.deleted_at is not None,
    }


def _scoped(principal: Principal):
    return select(Person).where(Person.deleted_at.is_(None), inside(principal, Person.grid_code))


def get_person(principal: Principal, person_id: int) -> dict:
    person = db.session.scalar(_scoped(principal).where(Person.id == person_id))
    if person is None:
        raise NotFound(f"No person with id {person_id} in your scope.", code="unknown_person")
    return view(person)


def list_persons(
    principal: Principal, prefix: str, kind: str | None, after: int | None, limit: int
) -> list[dict]:
    stmt = _scoped(principal).where(Person.grid_code.like(prefix + "%"))
    if kind:
        stmt = stmt.where(Person.kind == kind)
    if after:
        stmt = stmt.where(Person.id > after)
    return views(list(db.session.scalars(stmt.order_by(Person.id).limit(limit))))


def views(persons: list[Person]) -> list[dict]:
    """Views of several people, with one query for all their house codes."""
    house_ids = {p.house_id for p in persons}
    codes = (
        dict(db.session.execute(select(House.id, House.code).where(House.id.in_(house_ids))).all())
        if persons
        else {}
    )
    return [view(p, codes.get(p.house_id)) for p in persons]


def views_by_id(principal: Principal, ids: set[int]) -> dict[int, dict]:
    """The people among `ids` the principal may see (not deleted), by id."""
    persons = list(db.session.scalars(_scoped(principal).where(Person.id.in_(ids)))) if ids else []
    return {p.id: v for p, v in zip(persons, views(persons), strict=True)}


def lookup(principal: Principal, vault, id_number: str) -> dict:
    """Find a person by ID number through the blind index; the look-up itself is audited."""
    parsed = parse_id(id_number, "id_number", date.today())
    index = vault.index(parsed.number, "id_number")
    person = db.session.scalar(_scoped(principal).where(Person.id_index == index))
    record(
        "lookup_person",
        "person",
        str(person.id) if person else None,
        actor_id=principal.user_id,
        after={
            "id_number": idnumber.mask(parsed.number),
            "found": person is not None,
        },
    )
    db.session.commit()
    if person is None:
        raise NotFound("No person with that ID number in your scope.", code="unknown_person")
    return view(person)


def _reason_problem(reason: str) -> str | None:
    if len(reason) > 200:
        return "must be at most 200 characters"
    if len(re.findall(r"\w", reason)) < 2:
        return "must say why, in at least 2 letters or characters (not only spaces or punctuation)"
    return None


def _refuse_reveal(principal: Principal, person_id: int, field: str, reason: str, err):
    """Refused reveals are audited too: trying to see numbers one may not is worth knowing."""
    record(
        "reveal_refused",
        "person",
        str(person_id),
        actor_id=principal.user_id,
        after={"field": field, "reason": reason, "refused": err.code},
    )
    db.session.commit()
    return err


def reveal(principal: Principal, vault, person_id: int, field: str, reason: str) -> dict:
    """Show one ID or phone number in full: staff only, with a reason, always audited (a refusal
    as well as a disclosure)."""
    reason = reason.strip()
    if principal.role not in ("street_staff", "district_staff"):
        raise _refuse_reveal(
            principal,
            person_id,
            field,
            reason,
            Forbidden(
                "Only street or district staff may reveal personal numbers.",
                code="reveal_not_allowed",
            ),
        )
    if problem := _reason_problem(reason):
        raise _refuse_reveal(
            principal, person_id, field, reason, ValidationFailed.field("reason", problem)
        )
    person = db.session.scalar(_scoped(principal).where(Person.id == person_id))
    sealed = getattr(person, REVEALABLE[field][0]) if person is not None else None
    if sealed is None:
        # No such person in scope, or none of that number recorded: the same answer, so a
        # refusal says nothing of people outside one's scope.
        raise _refuse_reveal(
            principal,
            person_id,
            field,
            reason,
            NotFound(f"No {field} of person {person_id} in your scope.", code="unknown_person"),
        )
    record(
        "reveal",
        "person",
        str(person.id),
        actor_id=principal.user_id,
        after={"field": field, "reason": reason},
    )
    db.session.commit()
    return {"id": person.id, "field": field, "value": vault.open(sealed, REVEALABLE[field][1])}
