"""Views and statistics as the rows of a file: fields flattened, codes given their labels,
dates as dates, yes/no in words."""

from datetime import date
from decimal import Decimal

from gridgov.exports import columns as c
from gridgov.exports.labels import Labels
from gridgov.people import schemas as person_fields

YES, NO = "是", "否"

HOUSE_KEYS = (
    "code",
    "community",
    "grid",
    "compound",
    "building",
    "unit",
    "floor",
    "room",
    "use",
    "structure",
    "floor_area",
    "owner_name",
    "owner_id_number",
    "rented",
    "lon",
    "lat",
    "rental.landlord_name",
    "rental.landlord_id_number",
    "rental.landlord_phone",
    "rental.landlord_address",
    "rental.rental_use",
    "rental.rented_area",
    "rental.hazards",
    "rental.registered_on",
)
_DECIMALS = ("floor_area", "rental.rented_area")
_PERSON_FIELDS = (
    "id",
    "id_number",
    "id_kind",
    "name",
    "sex",
    "sex_mismatch",
    "birth_year",
    "ethnicity",
    "phone",
    "kind",
    "house",
    "grid",
    "origin_code",
    "inflow_reason",
    "arrival_date",
    "special_concern",
    "capture_method",
)
# The free details follow the upload schemas (the floating fields kept as columns of their own
# are not repeated), so a field added there gets a column here (and needs a header).
PERSON_KEYS = (
    *_PERSON_FIELDS,
    *(f"details.{name}" for name in person_fields.DETAIL_FIELDS),
    *(f"details.resident.{name}" for name in person_fields.ResidentSchema().fields),
    *(
        f"details.floating.{name}"
        for name in person_fields.FloatingSchema().fields
        if name not in _PERSON_FIELDS
    ),
)
HOUSE_COLUMNS = c.columns(HOUSE_KEYS)
PERSON_COLUMNS = c.columns(PERSON_KEYS)
# Fields whose few values are words, not a code table.
_WORDS = {"kind": c.KIND_LABELS, "id_kind": c.ID_KIND_LABELS}


def flatten(view: dict, prefix: str = "") -> dict:
    """A view as one level: nested dicts as 'rental.landlord_name', lists joined with ';'."""
    out = {}
    for key, value in view.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        elif isinstance(value, list):
            out[prefix + key] = ";".join(map(str, value))
        else:
            out[prefix + key] = value
    return out


def _value(column: c.Column, value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return YES if value else NO
    if column.date and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value  # details hold what was sent: keep an odd value as text
    if column.key in _WORDS:
        return _WORDS[column.key].get(value, value)
    return value


def record_row(cols: tuple[c.Column, ...], flat: dict, labels: Labels) -> list:
    """One row of a record list: each column's value, a coded one with its label."""
    out = []
    for column in cols:
        value = _value(column, flat.get(column.key))
        if column.labels is None:
            out.append(value)
            continue
        if column.many:
            codes = [v for v in (value or "").split(";") if v]
            label = "；".join(labels.label(column.labels, v) or v for v in codes) or None
        else:
            label = labels.label(column.labels, value)
        out += [label, value]
    return out


def house_row(view: dict, labels: Labels) -> list:
    flat = flatten({k: v for k, v in view.items() if k != "location"})
    flat["lon"], flat["lat"] = view["location"]
    for name in _DECIMALS:
        if flat.get(name) is not None:
            flat[name] = Decimal(flat[name])
    return record_row(HOUSE_COLUMNS, flat, labels)


def person_row(view: dict, labels: Labels) -> list:
    return record_row(PERSON_COLUMNS, flatten(view), labels)


# --- statistics --------------------------------------------------------------------------


def _stats_columns(result: dict) -> list[tuple[str, str | None]]:
    """(measure, key) of each column; a nested measure gets one column per key, in the order
    of the total (which holds every key), then any others."""
    rows = [result["total"], *(ch["values"] for ch in result.get("children", []))]
    out = []
    for measure in result["measures"]:
        if isinstance(result["total"][measure], dict):
            keys = {}
            for values in rows:
                keys.update(dict.fromkeys(values[measure]))
            out += [(measure, key) for key in keys]
        else:
            out.append((measure, None))
    return out


def stats_header(measure: str, key: str | None, labels: Labels) -> str:
    """'实有人口'; a key of a nested measure named by its label: '流动人口来源·广东省'."""
    head = c.STATS_HEADERS[measure]
    if key is None:
        return head
    if measure == "age_bands":
        return f"{head}·{c.AGE_LABELS.get(key, key)}"
    table = c.STATS_KEY_LABELS.get(measure)
    name = labels.label(table, key) if table else None
    return f"{head}·{name or key}"


def stats_table(result: dict, labels: Labels) -> tuple[tuple[str, ...], list[list]]:
    """The statistics as a table: one row per child (every child, a count it lacks as 0),
    then the area's total."""
    cols = _stats_columns(result)
    area = result["area"]
    lines = [(ch["code"], ch["name"], ch["values"]) for ch in result.get("children", [])]
    total_name = f"{area['name']}（合计）" if "children" in result else area["name"]
    lines.append((area["code"], total_name, result["total"]))
    rows = [
        [code, name] + [values[m] if key is None else values[m].get(key, 0) for m, key in cols]
        for code, name, values in lines
    ]
    header = (
        c.STATS_HEADERS["code"],
        c.STATS_HEADERS["name"],
        *(stats_header(m, key, labels) for m, key in cols),
    )
    return header, rows


def series_rows(result: dict) -> list[list]:
    """A row per month: the month, the day counted (a month's end, or today) and its people."""
    return [
        [p["month"], date.fromisoformat(p["as_of"]), p["population"], p["residents"], p["floating"]]
        for p in result["points"]
    ]
