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
_BOOLS = frozenset({bool, type(None)})
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


def _values(column: c.Column, values: Column, kinds: set) -> Column:
    """_value() over a column of values of `kinds`, by the quickest way they allow."""
    if kinds <= _UNCHANGED:
        return values
    if kinds <= _BOOLS:
        return [None if v is None else YES if v else NO for v in values]
    if kinds <= _TEXT and not column.date and "" not in values:
        words = WORDS.get(column.key)
        return values if words is None else list(map(words.get, values, values))
    return [None if v is None else _value(column, v) for v in values]


def _labels(column: c.Column, table: dict[str, str], values: Column, kinds: set) -> Column:
    """The labels of a column's codes (text or None, made safe for a spreadsheet)."""
    if column.many:  # codes joined with ';', labels with '；'
        labels = [
            None if v is None else "；".join(table.get(x) or x for x in v.split(";") if x) or None
            for v in values
        ]
    elif kinds <= _TEXT:
        labels = list(map(table.get, values))
    else:
        labels = [None if v is None else table.get(str(v)) for v in values]
    return files.safe_column(labels)


def _guarded(values: Column, kinds: set) -> Column:
    """The values with text made safe for a spreadsheet (files.cell)."""
    if str not in kinds:
        return values
    if kinds <= _TEXT:
        return files.safe_column(values)
    return [files.cell(v) for v in values]


def page_maker(cols: tuple[c.Column, ...], labels: Labels) -> Callable[[list], list[Column]]:
    """A function from a page's columns (the values of each of `cols`) to the page's columns
    in the file (an Export's pages): empty values as None, yes/no in words, dates as dates, a
    coded value with its label before it, text made safe for a spreadsheet."""
    plan = [(col, labels.tables.get(col.labels, {}) if col.labels else None) for col in cols]

    def make(columns: list[Column]) -> list[Column]:
        out = []
        for (col, table), values in zip(plan, columns, strict=True):
            kinds = set(map(type, values))  # once per column: the quick ways depend on it
            shown = _values(col, values, kinds)
            if shown is not values:
                kinds = set(map(type, shown))
            if table is not None:
                out.append(_labels(col, table, shown, kinds))
            out.append(_guarded(shown, kinds))
        return out

    return make
