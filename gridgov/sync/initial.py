"""A device's first sync: everything in its cells (cell outlines, code tables and the open
door-visit tasks on the first page, then houses, then people, keyset-paged) and the change-feed
cursor to continue from.

The cursor is taken before anything is read: every change committed before it is in what the
pages serve, and a change made while the device pages through is served again by the feed
(applying an upsert twice is harmless), so nothing falls between the download and the feed."""

from sqlalchemy import select

from gridgov.codes.models import Code
from gridgov.errors import ValidationFailed
from gridgov.extensions import db
from gridgov.hierarchy import service as hierarchy
from gridgov.houses import views as houses
from gridgov.people import views as people
from gridgov.scope import Principal
from gridgov.sync.changes import start_cursor
from gridgov.visits import views as visits


def _parse_page(page: str | None) -> tuple[str, str | None, str | None]:
    """(part, after, cursor) of a page token "houses:<code>:<cursor>" or "persons:<id>:<cursor>"."""
    if not page:
        return "start", None, None
    part, _, rest = page.partition(":")
    after, _, cursor = rest.partition(":")
    if part not in ("houses", "persons") or not cursor or (after and not after.isdigit()):
        raise ValidationFailed.field("page", "is not a page this server gave out", location="query")
    return part, after or None, cursor


def initial(principal: Principal, page: str | None, limit: int) -> dict:
    """One page of the first sync. The first page (no `page`) holds the cells and the code
    tables; each page names the next until the people are done."""
    part, after, cursor = _parse_page(page)
    out = {"cells": [], "codes": {}, "visits": [], "houses": [], "persons": []}
    if part == "start":
        cursor = start_cursor()
        out["cells"] = [hierarchy_view(v) for v in hierarchy.list_grids(principal, None)]
        out["codes"] = _codes()
        out["visits"] = visits.open_tasks(principal)
        part = "houses"
    if part == "houses":
        out["houses"] = houses.list_houses(principal, "", after, limit)
        if len(out["houses"]) == limit:
            return {**out, "cursor": cursor, "next": f"houses:{out['houses'][-1]['code']}:{cursor}"}
        part, after = "persons", None
    room = limit - len(out["houses"])  # a page holds at most `limit` houses and people
    people_page = people.list_persons(
        principal, "", people.PersonFilters(), int(after) if after else None, room
    )
    out["persons"] = people_page
    more = len(people_page) == room
    return {
        **out,
        "cursor": cursor,
        "next": f"persons:{people_page[-1]['id']}:{cursor}" if more else None,
    }


def hierarchy_view(view) -> dict:
    """A grid cell as a GeoJSON Feature (as GET /grids serves it)."""
    return {
        "type": "Feature",
        "id": view.code,
        "geometry": view.geometry,
        "properties": {
            "code": view.code,
            "name": view.name,
            "level": view.level,
            "parent": view.parent_code,
            "grid_type": view.grid_type,
            "valid_from": view.valid_from.isoformat(),
        },
    }


def _codes() -> dict[str, dict[str, str]]:
    """The code tables in force: {table: {code: label}}."""
    out: dict[str, dict[str, str]] = {}
    rows = db.session.execute(
        select(Code.table_name, Code.code, Code.label)
        .where(Code.valid_to.is_(None))
        .order_by(Code.table_name, Code.code)
    )
    for table, code, label in rows:
        out.setdefault(table, {})[code] = label
    return out
