"""Edits from what the server serves: whom an upsert names, and an edit laid over the stored
record, so a worker who changes one field keeps the rest (and never needs the full numbers)."""

from sqlalchemy import select

from gridgov import idnumber
from gridgov.errors import ValidationFailed
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people import schemas
from gridgov.people.models import Person
from gridgov.records.writer import Writer


def upsert_key(w: Writer, raw) -> tuple[int | None, bytes | None]:
    """(id, ID number's blind index) of whom an upsert names, as far as the raw record says:
    `id` if given, else the index of a valid ID number (prepare() reports an invalid one)."""
    if not isinstance(raw, dict):
        return None, None
    key = raw.get("id")
    if isinstance(key, int) and not isinstance(key, bool) and 0 < key < 2**31:
        return key, None
    number = raw.get("id_number")
    if not isinstance(number, str):
        return None, None
    try:
        parsed = idnumber.parse(number, w.today)
    except idnumber.IdNumberError:
        return None, None
    return None, w.vault.index(parsed.number, "id_number")


def stored_data(w: Writer, person: Person) -> dict:
    """Someone on record as the record a writer would send for them (numbers in full: this
    never leaves the server), so an edit can be laid over it."""
    d = person.details or {}
    data = {
        "id_number": w.vault.open(person.id_sealed, "person.id_number"),
        "capture_method": person.capture_method,
        "name": person.name,
        "sex": person.sex,
        "kind": person.kind,
        "house_code": db.session.scalar(select(House.code).where(House.id == person.house_id)),
        **{k: d[k] for k in schemas.DETAIL_FIELDS if d.get(k) is not None},
    }
    if person.ethnicity is not None:
        data["ethnicity"] = person.ethnicity
    if person.phone_sealed is not None:
        data["phone"] = w.vault.open(person.phone_sealed, "person.phone")
    if d.get("resident"):
        data["resident"] = dict(d["resident"])
    if person.kind == "floating":
        floating = {k: v for k, v in (d.get("floating") or {}).items() if k != "certificate_no"}
        floating |= {
            "inflow_reason": person.inflow_reason,
            "arrival_date": person.arrival_date and person.arrival_date.isoformat(),
            "origin_code": person.origin_code,
            "special_concern": person.special_concern,
        }
        if person.certificate_no_sealed is not None:
            floating["certificate_no"] = w.vault.open(
                person.certificate_no_sealed, "person.certificate_no"
            )
        data["floating"] = {k: v for k, v in floating.items() if v is not None}
    return data


def over_stored(w: Writer, raw: dict, person: Person) -> dict:
    """An edit laid over the stored record: fields left out keep their stored values (the
    resident and floating blocks field by field), and a masked number sent back as it was
    served means the stored one."""
    stored = stored_data(w, person)
    if (
        "id_number" in raw
        and raw["id_number"] != person.id_masked
        and upsert_key(w, {"id_number": raw["id_number"]})[1] != bytes(person.id_index)
    ):
        raise ValidationFailed.field(
            "data.id_number", f"is not the ID number of person {person.id} (it cannot change)"
        )
    out = {**stored}
    for name, value in raw.items():
        if name in ("resident", "floating") and isinstance(value, dict):
            out[name] = {**(stored.get(name) or {}), **value}
        else:
            out[name] = value
    out["id_number"] = stored["id_number"]
    if raw.get("phone") is not None and raw["phone"] == person.phone_masked:
        out["phone"] = stored["phone"]
    floating = out.get("floating")
    if isinstance(floating, dict) and floating.get("certificate_no"):
        served = (person.details or {}).get("floating", {}).get("certificate_no")
        if floating["certificate_no"] == served:
            floating["certificate_no"] = stored["floating"]["certificate_no"]
    out.pop("id", None)
    return out
