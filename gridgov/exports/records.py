"""The rows of a record list's file, made a page at a time and column by column: each
column's rule (labels, dates, yes/no in words) is looked up once per page, and a column that
needs no change (numbers, text without an empty value) passes through whole. The pages are
those of people.views.list_rows() and houses.views.list_rows(): the view fields, masked as
the views mask them, read without ORM objects."""

import json
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from itertools import repeat

from gridgov.exports import columns as c
from gridgov.exports import files
from gridgov.exports.labels import Labels
from gridgov.exports.tables import HOUSE_KEYS, NO, PERSON_KEYS, PERSON_VIEW_FIELDS, WORDS, YES
from gridgov.houses.views import point_of

# What list_rows() reads: the person fields, then the free details whole (one JSON value,
# taken apart here); the house fields as they are.
PERSON_FIELDS = (*PERSON_VIEW_FIELDS, "details")
HOUSE_FIELDS = HOUSE_KEYS
# The free details' columns: first the top-level fields, then those of each nested object.
_DETAILS = [k.split(".")[1:] for k in PERSON_KEYS if k.startswith("details.")]
_DETAIL_TOP = tuple(path[0] for path in _DETAILS if len(path) == 1)
_DETAIL_NESTED = tuple(
    (group, tuple(path[1] for path in _DETAILS if path[0] == group))
    for group in dict.fromkeys(path[0] for path in _DETAILS if len(path) == 2)
)
_LON, _LAT = HOUSE_KEYS.index("lon"), HOUSE_KEYS.index("lat")
_HAZARDS = HOUSE_KEYS.index("rental.hazards")
_TEXT = frozenset({str, type(None)})
_UNCHANGED = frozenset({int, float, Decimal, date, type(None)})
_EMPTY: dict = {}

Column = Sequence  # the values of one column over a page


def _plain(values: Column) -> Column:
    """Values of the free details as a flattened view shows them: a list joined with ';', a
    nested object (which has no column of its own) as nothing."""
    if set(map(type, values)) <= _TEXT:
        return values
    return [
        None if isinstance(v, dict) else ";".join(map(str, v)) if isinstance(v, list) else v
        for v in values
    ]


def _objects(values: Column) -> Column:
    """The values with anything but an object (a dict) as an empty one."""
    if set(map(type, values)) == {dict}:
        return values
    return [v if type(v) is dict else _EMPTY for v in values]


def _field(objects: Column, name: str) -> Column:
    return _plain(list(map(dict.get, objects, repeat(name))))


def person_columns(page: list) -> list[Column]:
    """A page of people.list_rows(PERSON_FIELDS) as the columns of PERSON_KEYS."""
    out = list(zip(*page, strict=True))
    # The details come as JSON text, decoded here in one call per page, not one per row.
    details = _objects(json.loads("[" + ",".join(t or "null" for t in out.pop()) + "]"))
    out += [_field(details, name) for name in _DETAIL_TOP]
    for group, names in _DETAIL_NESTED:
        inner = _objects(list(map(dict.get, details, repeat(group))))
        out += [_field(inner, name) for name in names]
    return out


def house_columns(page: list) -> list[Column]:
    """A page of houses.list_rows(HOUSE_FIELDS) as the columns of HOUSE_KEYS, the location
    rounded as the house view rounds it."""
    out = list(zip(*page, strict=True))
    located = zip(out[_LON], out[_LAT], strict=True)
    points = [None if x is None else point_of(x, y) for x, y in located]
    out[_LON] = [p and p[0] for p in points]
    out[_LAT] = [p and p[1] for p in points]
    out[_HAZARDS] = [None if h is None else ";".join(map(str, h)) for h in out[_HAZARDS]]
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
    if column.key in WORDS:
        return WORDS[column.key].get(value, value)
    return value


def _values(column: c.Column, values: Column) -> Column:
    kinds = set(map(type, values))
    if kinds <= _UNCHANGED:
        return values
    if kinds <= _TEXT and not column.date and column.key not in WORDS:
        return [None if v == "" else v for v in values] if "" in values else values
    return [_value(column, v) for v in values]


def _labels(column: c.Column, table: dict[str, str], values: Column) -> Column:
    if column.many:  # codes joined with ';', labels with '；'
        return [
            None if v is None else "；".join(table.get(x) or x for x in v.split(";") if x) or None
            for v in values
        ]
    if set(map(type, values)) <= _TEXT:
        return list(map(table.get, values))
    return [None if v is None else table.get(str(v)) for v in values]


def _guarded(values: Column) -> Column:
    """The values with text made safe for a spreadsheet (files.cell)."""
    kinds = set(map(type, values))
    if str not in kinds:
        return values
    if kinds <= _TEXT:
        return files.safe_column(values)
    return [files.cell(v) for v in values]


def page_maker(cols: tuple[c.Column, ...], labels: Labels) -> Callable[[list], list[tuple]]:
    """A function from a page's columns (the values of each of `cols`) to the page's rows in
    the file: empty values as None, yes/no in words, dates as dates, a coded value with its
    label before it, text made safe for a spreadsheet (an Export of them is `safe`)."""
    plan = [(col, labels.tables.get(col.labels, {}) if col.labels else None) for col in cols]

    def make(columns: list[Column]) -> list[tuple]:
        out = []
        for (col, table), values in zip(plan, columns, strict=True):
            values = _values(col, values)
            if table is not None:
                out.append(_guarded(_labels(col, table, values)))
            out.append(_guarded(values))
        return list(zip(*out, strict=True))

    return make
