"""Views and statistics as the rows of a file: fields flattened, codes given their labels,
dates as dates, yes/no in words."""

from collections.abc import Callable
from datetime import date

from gridgov.exports import columns as c
from gridgov.exports.labels import Labels
from gridgov.houses import views as houses
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


# What list_rows() reads: the person fields, then the free details whole (one JSON value,
# taken apart here); the house fields as they are.
PERSON_FIELDS = (*_PERSON_FIELDS, "details")
# The free details' columns: first the top-level fields, then those of each nested object.
_DETAILS = [k.split(".")[1:] for k in PERSON_KEYS if k.startswith("details.")]
_DETAIL_TOP = tuple(path[0] for path in _DETAILS if len(path) == 1)
_DETAIL_NESTED = tuple(
    (group, tuple(path[1] for path in _DETAILS if path[0] == group))
    for group in dict.fromkeys(path[0] for path in _DETAILS if len(path) == 2)
)
_LON, _LAT = HOUSE_KEYS.index("lon"), HOUSE_KEYS.index("lat")
_HAZARDS = HOUSE_KEYS.index("rental.hazards")


def _shown(value):
    """A value of the free details as a flattened view shows it: a list joined with ';', a
    nested object (which has no column of its own) as nothing."""
    if isinstance(value, dict):
        return None
    if isinstance(value, list):
        return ";".join(map(str, value))
    return value


def person_values(row: tuple) -> list:
    """A row of people.list_rows(PERSON_FIELDS) as the values of PERSON_KEYS."""
    details = row[-1]
    values = list(row[:-1])
    if not isinstance(details, dict):
        return values + [None] * len(_DETAILS)
    get = details.get
    # Most details are text or absent: only other values take the slower way.
    values += [v if v is None or type(v) is str else _shown(v) for v in map(get, _DETAIL_TOP)]
    for group, names in _DETAIL_NESTED:
        inner = get(group)
        if isinstance(inner, dict):
            pick = inner.get
            values += [v if v is None or type(v) is str else _shown(v) for v in map(pick, names)]
        else:
            values += [None] * len(names)
    return values


def house_values(row: tuple) -> list:
    """A row of houses.list_rows(HOUSE_KEYS) as the values of HOUSE_KEYS, the location
    rounded as the house view rounds it."""
    values = list(row)
    if values[_LON] is not None:
        values[_LON], values[_LAT] = houses.point_of(values[_LON], values[_LAT])
    if values[_HAZARDS] is not None:
        values[_HAZARDS] = ";".join(map(str, values[_HAZARDS]))
    return values


def row_maker(cols: tuple[c.Column, ...], labels: Labels) -> Callable[[list], list]:
    """A function from the values of `cols` (one per column, in order) to a row of the file:
    empty values as None, yes/no in words, dates as dates, a coded value with its label
    beside. Each column's rule is looked up once here, not once per row."""
    plan = [
        (
            col.date,
            _WORDS.get(col.key),
            labels.tables.get(col.labels, {}) if col.labels else None,
            col.many,
        )
        for col in cols
    ]

    def make(values: list) -> list:
        out = []
        add = out.append
        for value, (is_date, words, table, many) in zip(values, plan, strict=True):
            if value is None or value == "":
                add(None)
                if table is not None:
                    add(None)
                continue
            if value is True or value is False:
                value = YES if value else NO
            elif is_date and type(value) is str:
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    pass  # details hold what was sent: keep an odd value as text
            elif words is not None:
                value = words.get(value, value)
            if table is None:
                add(value)
            elif many:
                codes = [v for v in value.split(";") if v]
                add("；".join(table.get(v) or v for v in codes) or None)
                add(value)
            else:
                add(table.get(value if type(value) is str else str(value)))
                add(value)
        return out

    return make


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
