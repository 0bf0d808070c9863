"""Triage: a declared person matched against the record (the ID number's blind index, the
house), the field-by-field difference (masked), and the facts the rules route by. It reads the
record; nothing of it leaves the server but masked values for the desk."""

from dataclasses import dataclass
from datetime import date

from gridgov.crypto import mask_phone
from gridgov.declarations.rules import Facts
from gridgov.houses.models import House
from gridgov.people import service as people
from gridgov.people.diff import differences
from gridgov.people.models import Person
from gridgov.records.writer import Writer


def plain(value):
    """A loaded value as JSON holds it (the record schemas load from JSON)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def record_of(person: dict, floating: dict | None, house_code: str) -> dict:
    """The declared person as the person record a device would upload for them."""
    raw = {k: plain(v) for k, v in person.items()}
    raw["house_code"] = house_code
    if person["kind"] == "floating" and floating:
        block = {k: plain(v) for k, v in floating.items() if k != "lease"}
        block.setdefault("origin_code", person["id_number"][:6])
        raw["floating"] = block
        # They live there since they arrived (a sync upload says so with moved_in).
        raw["moved_in"] = block["arrival_date"]
    return raw


def over_record(raw: dict, stored: Person | None) -> dict:
    """What the declaration says of someone on record: a number typed by a resident does not
    undo a record read from the card."""
    if stored is not None and raw.get("capture_method") == "typed":
        raw = {k: v for k, v in raw.items() if k != "capture_method"}
    return raw


@dataclass
class Match:
    person: Person | None  # on record with this ID number (possibly deleted)
    values: dict | None  # the person's columns once approved (None: house not on record)
    diff: list[dict]  # masked


def _new_fields(values: dict) -> list[dict]:
    shown = {
        "name": values["name"],
        "sex": values["sex"],
        "ethnicity": values["ethnicity"],
        "phone": values["phone_masked"],
        "kind": values["kind"],
        "origin_code": values["origin_code"],
        "inflow_reason": values["inflow_reason"],
        "arrival_date": plain(values["arrival_date"]),
        "capture_method": values["capture_method"],
        "house_id": values["house_id"],
    }
    return [{"field": k, "ours": None, "theirs": v} for k, v in shown.items() if v is not None]


def _unhoused_fields(person: dict) -> list[dict]:
    phone = person.get("phone")
    shown = {
        "name": person["name"],
        "sex": person["sex"],
        "ethnicity": person.get("ethnicity"),
        "phone": mask_phone(phone) if phone else None,
        "kind": person["kind"],
        "capture_method": person["capture_method"],
        "house": "未登记房屋",
    }
    return [{"field": k, "ours": None, "theirs": v} for k, v in shown.items() if v is not None]


def match(
    w: Writer, person: dict, floating: dict | None, house: House | None, stored: Person | None
) -> Match:
    """`stored`: the person on record with the declared ID number (read with the house)."""
    alive = stored if stored is not None and stored.deleted_at is None else None
    if house is None:
        return Match(stored, None, _unhoused_fields(person))
    raw = over_record(record_of(person, floating, house.code), alive)
    rec = people.prepare(w, raw, {house.code: house}, stored=alive)
    diff = differences(alive, rec.values) if alive else _new_fields(rec.values)
    return Match(stored, rec.values, diff)


def facts(
    person: dict, sex: str, m: Match, house: House | None, lease: bool, newcomers: int
) -> Facts:
    """The facts of one declared person (`sex`: the ID number's); `newcomers`: how many of the
    declaration's people do not live in the house yet (the house's occupants after approval)."""
    alive = m.person if m.person is not None and m.person.deleted_at is None else None
    changed = frozenset(d["field"] for d in m.diff)
    if m.values is not None:
        sex_mismatch = m.values["sex_mismatch"]
    else:  # no house on record to prepare the record in: prepare()'s rule on the ID's digit
        sex_mismatch = person["sex"] in ("1", "2") and person["sex"] != sex
    return Facts(
        on_record=alive is not None,
        identical=alive is not None and house is not None and not m.diff,
        house_on_record=house is not None,
        sex_mismatch=sex_mismatch,
        lives_elsewhere=alive is not None and (house is None or alive.house_id != house.id),
        new_floating_in_rental=(
            alive is None
            and person["kind"] == "floating"
            and (lease or bool(house and house.rented))
        ),
        occupants_after=(house.occupants if house is not None else 0) + newcomers,
        typed_only=person["capture_method"] == "typed"
        and (alive is None or alive.capture_method != "card_reader"),
        changed=changed,
    )
