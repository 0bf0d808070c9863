"""Exports of an area: its statistics table and its masked house and person lists, as CSV or
XLSX. Record lists are read page by page and written row by row, so memory stays flat however
large the area is. Every export leaves one audit row before its first byte is written."""

from collections.abc import Callable, Iterator
from datetime import date

from sqlalchemy import select

from gridgov.audit.service import record
from gridgov.errors import Forbidden, NotFound, ValidationFailed, field_error
from gridgov.exports import columns, jobs, records, tables
from gridgov.exports.files import Export
from gridgov.exports.jobs import JobRequest
from gridgov.exports.labels import Labels
from gridgov.extensions import db
from gridgov.hierarchy import service as hierarchy
from gridgov.hierarchy.models import Area
from gridgov.houses import views as houses
from gridgov.people import views as people
from gridgov.scope import Principal
from gridgov.stats import service as stats

FORMATS = ("csv", "xlsx")
KINDS = ("resident", "floating")
# Record lists leave the system in bulk: desk staff only, not the handhelds of grid workers.
RECORD_ROLES = ("street_staff", "district_staff", "admin")
PAGE_ROWS = 5000
XLSX_MAX_ROWS = 1_048_576 - 1  # the rows of a worksheet, less the header

TITLES = {
    "stats": "统计",
    "series": "逐月人口",
    "features": "分区图",
    "houses": "房屋",
    "persons": "人员",
    "resident": "户籍人口",
    "floating": "流动人口",
}


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


def stats_export(
    principal: Principal,
    question: stats.Question,
    settings: stats.Settings,
    fmt: str,
    job: JobRequest | None = None,
) -> Export | dict:
    """The statistics of an area (by its children with question.by) as a table to export,
    or a job (a past day's count of a large area can take long)."""
    if job and job.needed():
        _naming("code", "path", lambda: stats.area_in_scope(principal, question.code))
        return jobs.submit(principal, "stats", question.code, job, fmt)
    result = _naming("code", "path", lambda: stats.statistics(principal, question, settings))
    header, rows = tables.stats_table(result, Labels.load())
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
    return Export("统计", header, rows, filename, title)


def series_export(
    principal: Principal,
    code: str,
    start: date,
    stop: date,
    settings: stats.Settings,
    fmt: str,
    job: JobRequest | None = None,
) -> Export | dict:
    """People at the end of each month from start's month to stop's, a row per month."""
    if job and job.needed():
        _naming("code", "path", lambda: stats.area_in_scope(principal, code))
        return jobs.submit(principal, "series", code, job, fmt)
    result = _naming("code", "path", lambda: stats.series(principal, code, start, stop, settings))
    rows = tables.series_rows(result)
    period = [str(start), str(stop)]
    details = {"list": "series", "format": fmt, "period": period, "rows": len(rows)}
    _audit(principal, code, details)
    filename, title = _names("series", code, result["area"]["name"], stop, fmt)
    return Export("逐月人口", columns.SERIES_HEADERS, rows, filename, title)


def features_export(
    principal: Principal,
    question: stats.Question,
    settings: stats.Settings,
    job: JobRequest | None = None,
) -> Export | dict:
    """The choropleth of an area's children as a GeoJSON file, every count on every area (0
    where nobody of a kind lives)."""
    if job and job.needed():
        _naming("code", "path", lambda: stats.area_in_scope(principal, question.code))
        return jobs.submit(principal, "features", question.code, job, "geojson")
    result = _naming("code", "path", lambda: stats.features(principal, question, settings))
    document = result  # every count on every area, as the choropleth API gives them
    details = {
        "list": "features",
        "format": "geojson",
        "by": question.by,
        "as_of": result["as_of"],
        "measures": list(question.wanted),
        "rows": len(document["features"]),
    }
    _audit(principal, question.code, details)
    name = db.session.scalar(select(Area.name).where(Area.code == question.code)) or question.code
    day = date.fromisoformat(result["as_of"])
    filename, title = _names("features", question.code, name, day, "geojson")
    return Export("features", (), (), filename, title, document=document)


# --- record lists ------------------------------------------------------------------------


def _pages(fetch: Callable, page_rows: int) -> Iterator[list]:
    """Every page of a list keyset-paged on its first field. The read ends after each page,
    so no transaction is held while the client downloads."""
    after = None
    while True:
        page = fetch(after)
        db.session.close()
        if page:
            yield page
        if len(page) < page_rows:
            return
        after = page[-1][0]


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


def houses_export(
    principal: Principal,
    area: str,
    fmt: str,
    day: date,
    page_rows: int = PAGE_ROWS,
    filters: houses.HouseFilters = houses.HouseFilters(),  # noqa: B008
    job: JobRequest | None = None,
) -> Export | dict:
    """The houses below an area, narrowed as the house list narrows them, exactly as the
    masked house list shows them; a job when asked for or longer than job.above rows."""
    _may_export_records(principal)
    prefix, name = _area(principal, area)
    count = houses.count_houses(principal, prefix, filters)
    _check_size(fmt, count)
    if job and job.needed(count):
        return jobs.submit(principal, "houses", area, job, fmt, count)
    _audit(principal, area, {"list": "houses", "format": fmt, "rows": count})
    pages = _pages(
        lambda after: houses.list_rows(
            principal, prefix, after, page_rows, filters, records.HOUSE_FIELDS
        ),
        page_rows,
    )
    filename, title = _names("houses", area, name, day, fmt)
    make = records.page_maker(tables.HOUSE_COLUMNS, Labels.load(prefix))
    made = (make(records.house_columns(page)) for page in pages)
    header = columns.headers(tables.HOUSE_COLUMNS)
    return Export("房屋", header, (), filename, title, pages=made)


def persons_export(
    principal: Principal,
    area: str,
    filters: people.PersonFilters,
    fmt: str,
    day: date,
    page_rows: int = PAGE_ROWS,
    job: JobRequest | None = None,
) -> Export | dict:
    """The people living below an area, narrowed as the person list narrows them, exactly as
    the masked person list shows them; a job when asked for or longer than job.above rows."""
    _may_export_records(principal)
    kind = filters.kind
    if kind is not None and kind not in KINDS:
        raise ValidationFailed.field("kind", f"must be one of {', '.join(KINDS)}", location="query")
    prefix, name = _area(principal, area)
    count = people.count_persons(principal, prefix, filters)
    _check_size(fmt, count)
    if job and job.needed(count):
        return jobs.submit(principal, "persons", area, job, fmt, count)
    _audit(principal, area, {"list": "persons", "kind": kind, "format": fmt, "rows": count})
    pages = _pages(
        lambda after: people.list_rows(
            principal, prefix, filters, after, page_rows, records.PERSON_FIELDS
        ),
        page_rows,
    )
    filename, title = _names(f"persons_{kind}" if kind else "persons", area, name, day, fmt)
    make = records.page_maker(tables.PERSON_COLUMNS, Labels.load(prefix))
    made = (make(records.person_columns(page)) for page in pages)
    header = columns.headers(tables.PERSON_COLUMNS)
    return Export(TITLES[kind or "persons"], header, (), filename, title, pages=made)
