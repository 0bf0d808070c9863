"""What differs between a stored person and a record of them: decides "unchanged", and lists
the fields of a conflict (personal values masked)."""

from datetime import date

from gridgov.people.models import Person

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


def deleted_fields() -> list[dict]:
    """The one field a stale delete differs in."""
    return [{"field": "deleted", "ours": False, "theirs": True}]


def _show(value, name: str):
    if name == "phone_index":
        return "changed"  # never a phone number, not even masked, in a conflict listing
    if isinstance(value, date):
        return value.isoformat()
    return value
