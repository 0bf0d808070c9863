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
    """Each compared field that differs, both sides as a reader may see them: a phone number
    compares by its blind index and shows masked (`138****5678` vs `139****0001`)."""
    out = []
    for name in COMPARED:
        if getattr(person, name) == values[name]:
            continue
        if name == "phone_index":
            out.append(
                {"field": "phone", "ours": person.phone_masked, "theirs": values["phone_masked"]}
            )
        else:
            out.append(
                {
                    "field": name,
                    "ours": _show(getattr(person, name)),
                    "theirs": _show(values[name]),
                }
            )
    return out


def deleted_fields() -> list[dict]:
    """The one field a stale delete differs in."""
    return [{"field": "deleted", "ours": False, "theirs": True}]


def _show(value):
    if isinstance(value, date):
        return value.isoformat()
    return value
