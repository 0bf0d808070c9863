"""The fields of the record lists and the statistics as the rows of a file (the record
lists' rows are made in gridgov/exports/records.py)."""

from datetime import date

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
PERSON_VIEW_FIELDS = (
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
    *PERSON_VIEW_FIELDS,
    *(f"details.{name}" for name in person_fields.DETAIL_FIELDS),
    *(f"details.resident.{name}" for name in person_fields.ResidentSchema().fields),
    *(
        f"details.floating.{name}"
        for name in person_fields.FloatingSchema().fields
        if name not in PERSON_VIEW_FIELDS
    ),
)
HOUSE_COLUMNS = c.columns(HOUSE_KEYS)
PERSON_COLUMNS = c.columns(PERSON_KEYS)
# Fields whose few values are words, not a code table.
WORDS = {"kind": c.KIND_LABELS, "id_kind": c.ID_KIND_LABELS}


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
