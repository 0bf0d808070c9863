"""Exports of an area: its statistics table and its masked house and person lists, as CSV or
XLSX. Record lists are read page by page and written row by row, so memory stays flat however
large the area is. Every export leaves one audit row before its first byte is written."""

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from gridgov.audit.service import record
from gridgov.errors import Forbidden, NotFound, ValidationFailed, field_error
from gridgov.exports.files import Export
from gridgov.extensions import db
from gridgov.hierarchy import service as hierarchy
from gridgov.hierarchy.models import Area
from gridgov.houses import views as houses
from gridgov.people import schemas as person_fields
from gridgov.people import views as people
from gridgov.scope import Principal
from gridgov.stats import service as stats

FORMATS = ("csv", "xlsx")
KINDS = ("resident", "floating")
# Record lists leave the system in bulk: desk staff only, not the handhelds of grid workers.
RECORD_ROLES = ("street_staff", "district_staff", "admin")
PAGE_ROWS = 500
XLSX_MAX_ROWS = 1_048_576 - 1  # the rows of a worksheet, less the header

# Bookkeeping fields of the list views that mean nothing in a file.
NOT_EXPORTED = frozenset({"version", "deleted"})
HOUSE_COLUMNS = (
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
# are not repeated), so a field added there gets a column here.
PERSON_COLUMNS = (
    *_PERSON_FIELDS,
    *(f"details.{name}" for name in person_fields.DETAIL_FIELDS),
    *(f"details.resident.{name}" for name in person_fields.ResidentSchema().fields),
    *(
        f"details.floating.{name}"
        for name in person_fields.FloatingSchema().fields
        if name not in _PERSON_FIELDS
    ),
)
TITLES = {
    "stats": "统计",
    "houses": "房屋",
    "persons": "人员",
    "resident": "户籍人口",
    "floating": "流动人口",
}


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


def _naming(field: str, location: str, call: Callable):
    """Call a look-up of the area; a missing or out-of-scope area names the parameter."""
    try:
        return call()
    except (NotFound, Forbidden) as err:
        err.errors = err.errors or [field_error(field, err.detail, location)]
        raise


def _audit(principal: Principal, area: str, details: dict) -> None:
    record("export", "area", area, actor_id=principal.user_id, after=details)
    db.session.commit()


def _names(kind: str, area: str, area_name: str, day: date, fmt: str) -> tuple[str, str]:
    stem = kind.replace("_", "-")
    title = "_".join(TITLES[part] for part in kind.split("_"))
    return f"{stem}_{area}_{day}.{fmt}", f"{area_name}_{title}_{day}.{fmt}"


# --- statistics --------------------------------------------------------------------------


def _stats_columns(result: dict) -> list[tuple[str, str | None]]:
    """(measure, key) of each column; a nested measure gets one column per key, in the order
    of the total (which holds every key), then any others."""
    rows = [result["total"], *(c["values"] for c in result.get("children", []))]
    columns = []
    for measure in result["measures"]:
        if isinstance(result["total"][measure], dict):
            keys = {}
            for values in rows:
                keys.update(dict.fromkeys(values[measure]))
            columns += [(measure, key) for key in keys]
        else:
            columns.append((measure, None))
    return columns


def stats_table(result: dict) -> tuple[tuple[str, ...], list[list]]:
    """The statistics as a table: one row per child, then the area's total."""
    columns = _stats_columns(result)
    area = result["area"]
    lines = [(c["code"], c["name"], c["values"]) for c in result.get("children", [])]
    total_name = f"{area['name']}（合计）" if "children" in result else area["name"]
    lines.append((area["code"], total_name, result["total"]))
    rows = [
        [code, name] + [values[m] if key is None else values[m].get(key, 0) for m, key in columns]
        for code, name, values in lines
    ]
    header = ("code", "name", *(m if key is None else f"{m}.{key}" for m, key in columns))
    return header, rows


def stats_export(
    principal: Principal, question: stats.Question, settings: stats.Settings, fmt: str
) -> Export:
    """The statistics of an area (by its children with question.by) as a table to export."""
    result = _naming("code", "path", lambda: stats.statistics(principal, question, settings))
    columns, rows = stats_table(result)
    details = {
        "list": "stats",
        "format": fmt,
        "by": question.by,
        "as_of": result["as_of"],
        "measures": list(question.wanted),
        "rows": len(rows),
    }
    if question.start or question.stop:
        details["period"] = [str(question.start), str(question.stop)]
    _audit(principal, question.code, details)
    day = date.fromisoformat(result["as_of"])
    filename, title = _names("stats", question.code, result["area"]["name"], day, fmt)
    return Export("stats", columns, rows, filename, title)


# --- record lists ------------------------------------------------------------------------


def _pages(fetch: Callable, key: str, page_rows: int) -> Iterator[dict]:
    """Every item of a keyset-paged list. The read ends after each page, so no transaction
    and no loaded row is held while the client downloads."""
    after = None
    while True:
        items = fetch(after)
        db.session.close()
        yield from items
        if len(items) < page_rows:
            return
        after = items[-1][key]


def _area(principal: Principal, code: str) -> tuple[str, str]:
    """(code prefix, name) of an area the principal may see."""
    prefix = _naming("area", "query", lambda: hierarchy.area_prefix(principal, code))
    return prefix, db.session.scalar(select(Area.name).where(Area.code == code)) or code


def _may_export_records(principal: Principal) -> None:
    if principal.role not in RECORD_ROLES:
        raise Forbidden(
            "Only street or district staff may export record lists.", code="export_not_allowed"
        )


def _check_size(fmt: str, rows: int) -> None:
    if fmt == "xlsx" and rows > XLSX_MAX_ROWS:
        raise ValidationFailed.field(
            "format",
            f"an xlsx sheet holds at most {XLSX_MAX_ROWS} rows and this list has {rows}; use csv",
            location="query",
        )


def house_row(view: dict) -> list:
    flat = flatten({k: v for k, v in view.items() if k != "location"})
    flat["lon"], flat["lat"] = view["location"]
    for name in _DECIMALS:
        if flat.get(name) is not None:
            flat[name] = Decimal(flat[name])
    return [flat.get(name) for name in HOUSE_COLUMNS]


def person_row(view: dict) -> list:
    flat = flatten(view)
    return [flat.get(name) for name in PERSON_COLUMNS]


def houses_export(
    principal: Principal,
    area: str,
    fmt: str,
    day: date,
    page_rows: int = PAGE_ROWS,
    filters: houses.HouseFilters = houses.HouseFilters(),  # noqa: B008
) -> Export:
    """The houses below an area, narrowed as the house list narrows them, exactly as the
    masked house list shows them."""
    _may_export_records(principal)
    prefix, name = _area(principal, area)
    count = houses.count_houses(principal, prefix, filters)
    _check_size(fmt, count)
    _audit(principal, area, {"list": "houses", "format": fmt, "rows": count})
    views = _pages(
        lambda after: houses.list_houses(principal, prefix, after, page_rows, filters),
        "code",
        page_rows,
    )
    filename, title = _names("houses", area, name, day, fmt)
    return Export("houses", HOUSE_COLUMNS, map(house_row, views), filename, title)


def persons_export(
    principal: Principal,
    area: str,
    filters: people.PersonFilters,
    fmt: str,
    day: date,
    page_rows: int = PAGE_ROWS,
) -> Export:
    """The people living below an area, narrowed as the person list narrows them, exactly as
    the masked person list shows them."""
    _may_export_records(principal)
    kind = filters.kind
    if kind is not None and kind not in KINDS:
        raise ValidationFailed.field("kind", f"must be one of {', '.join(KINDS)}", location="query")
    prefix, name = _area(principal, area)
    count = people.count_persons(principal, prefix, filters)
    _check_size(fmt, count)
    _audit(principal, area, {"list": "persons", "kind": kind, "format": fmt, "rows": count})
    views = _pages(
        lambda after: people.list_persons(principal, prefix, filters, after, page_rows),
        "id",
        page_rows,
    )
    filename, title = _names(f"persons_{kind}" if kind else "persons", area, name, day, fmt)
    return Export("persons", PERSON_COLUMNS, map(person_row, views), filename, title)
