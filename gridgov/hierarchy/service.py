"""Read the hierarchy: areas, grid cells, the area containing a point, vector tiles.

Every query takes the acting Principal and applies its scope inside the SQL.
"""

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import and_, bindparam, func, literal_column, or_, select

from gridgov import reads
from gridgov.clock import district_today
from gridgov.errors import Forbidden, NotFound
from gridgov.extensions import db
from gridgov.geo import SRID, point_to_wgs84
from gridgov.hierarchy.models import LEVELS, Area, prefix_of
from gridgov.scope import Principal, Scope, covers, inside, touches, visible_area


@dataclass
class AreaView:
    code: str
    name: str
    level: str
    parent_code: str | None
    grid_type: str | None
    valid_from: date
    valid_to: date | None
    geometry: dict | None
    children: list[str] | None = None


def valid_on(on: date | None = None):
    """Areas in force on a date (today by default); valid_to is the first day a cell is closed."""
    day = district_today() if on is None else on
    return and_(Area.valid_from <= day, or_(Area.valid_to.is_(None), Area.valid_to > day))


def _columns():
    return (
        Area.code,
        Area.name,
        Area.level,
        Area.parent_code,
        Area.grid_type,
        Area.valid_from,
        Area.valid_to,
        func.ST_AsGeoJSON(Area.geom, 7).label("geojson"),
    )


def _view(row) -> AreaView:
    geometry = json.loads(row.geojson) if row.geojson else None
    return AreaView(
        row.code,
        row.name,
        row.level,
        row.parent_code,
        row.grid_type,
        row.valid_from,
        row.valid_to,
        geometry,
    )


def _visible(principal: Principal | Scope):
    return visible_area(principal, Area.code, Area.prefix)


def get_area(principal: Principal, code: str, *, level: str | None = None) -> AreaView:
    """One area (open or closed) with the codes of its children in force today."""
    stmt = select(*_columns()).where(Area.code == code, _visible(principal))
    if level:
        stmt = stmt.where(Area.level == level)
    row = db.session.execute(stmt).one_or_none()
    if row is None:
        raise NotFound(f"No {level or 'area'} with code {code} in your scope.", code="unknown_area")
    view = _view(row)
    view.children = list(
        db.session.scalars(
            select(Area.code)
            .where(Area.parent_code == code, valid_on(), _visible(principal))
            .order_by(Area.code)
        )
    )
    return view


def children(principal: Principal, code: str) -> list[AreaView]:
    get_area(principal, code)  # 404 for an unknown or unseen parent, not an empty list
    stmt = (
        select(*_columns())
        .where(Area.parent_code == code, valid_on(), _visible(principal))
        .order_by(Area.code)
    )
    return [_view(r) for r in db.session.execute(stmt)]


def list_grids(principal: Principal, area_code: str | None, bbox=None, on=None) -> list[AreaView]:
    """Grid cells in force on a date inside an area and/or a lon/lat bounding box."""
    stmt = select(*_columns()).where(
        Area.level == "grid", valid_on(on), inside(principal, Area.code)
    )
    if area_code:
        stmt = stmt.where(Area.code.like(area_prefix(principal, area_code) + "%"))
    if bbox:
        stmt = stmt.where(func.ST_Intersects(Area.geom, func.ST_MakeEnvelope(*bbox, SRID)))
    return [_view(r) for r in db.session.execute(stmt.order_by(Area.code))]


def area_prefix(principal: Principal, code: str) -> str:
    """The code prefix of everything below an area the principal may see (404 otherwise);
    a light look-up for lists that filter by area, without the area's outline."""
    row = db.session.execute(
        select(Area.code, Area.level).where(Area.code == code, _visible(principal))
    ).one_or_none()
    if row is None:
        raise NotFound(f"No area with code {code} in your scope.", code="unknown_area")
    return prefix_of(row.code, row.level)


def whole_area(principal: Principal | None, code: str, *extra):
    """An area (any validity) all of whose content the principal may see, as (code, name, level).

    An area beside the principal's own is not found, word for word as a code that does not
    exist: a refusal must not tell which codes exist elsewhere. An area above their own (whose
    name and outline they may read) is refused as outside their scope. `extra` are further
    conditions on the area (a level, in force)."""
    row = db.session.execute(
        select(Area.code, Area.name, Area.level).where(Area.code == code, *extra)
    ).one_or_none()
    if row is None or (
        principal is not None and not touches(principal, code, prefix_of(code, row.level))
    ):
        raise NotFound(f"No area with code {code} in your scope.", code="unknown_area")
    if principal is not None and not covers(principal, code):
        raise Forbidden(
            f"Area {code} reaches beyond your areas; ask for one of them.", code="outside_scope"
        )
    return row


def get_grid(principal: Principal, code: str) -> AreaView:
    stmt = select(*_columns()).where(
        Area.code == code, Area.level == "grid", inside(principal, Area.code)
    )
    row = db.session.execute(stmt).one_or_none()
    if row is None:
        raise NotFound(f"No grid cell with code {code} in your scope.", code="unknown_grid")
    return _view(row)


@lru_cache(maxsize=1024)
def _locate_statement(scope: Scope):
    # Built once per scope: constructing the expression costs more than running it.
    point = func.ST_SetSRID(func.ST_MakePoint(bindparam("lon"), bindparam("lat")), SRID)
    return (
        select(Area.code, Area.name, Area.level)
        .where(func.ST_Intersects(Area.geom, point), valid_on(bindparam("day")), _visible(scope))
        .order_by(Area.code)
    )


def locate(principal: Principal, lon: float, lat: float, crs: str = "wgs84") -> dict:
    """The district, street, community and grid cell in force today that contain a point given
    in `crs`, and the point in WGS84. A point on a shared edge belongs to both cells; the lower
    code is returned."""
    lon, lat = point_to_wgs84(lon, lat, crs)
    found: dict = dict.fromkeys(LEVELS)
    statement = _locate_statement(principal.scope)
    for code, name, level in reads.rows(
        statement, {"lon": lon, "lat": lat, "day": district_today()}
    ):
        if found[level] is None:
            found[level] = {"code": code, "name": name}
    if found["district"] is None:
        raise NotFound("The point is outside the district.", code="outside_district")
    found["point"] = [round(lon, 7), round(lat, 7)]
    return found


def grid_tile(principal: Principal, z: int, x: int, y: int) -> bytes:
    """A Mapbox Vector Tile of the grid cells in force today, layer 'grids'."""
    envelope = func.ST_TileEnvelope(z, x, y)
    cells = (
        select(
            Area.code,
            Area.name,
            Area.grid_type,
            Area.parent_code.label("community"),
            func.ST_AsMVTGeom(func.ST_Transform(Area.geom, 3857), envelope, 4096, 64, True).label(
                "geom"
            ),
        )
        .where(
            Area.level == "grid",
            valid_on(),
            inside(principal, Area.code),
            func.ST_Intersects(Area.geom, func.ST_Transform(envelope, SRID)),
        )
        .subquery("t")
    )
    stmt = select(func.ST_AsMVT(literal_column("t"), "grids", 4096, "geom")).select_from(cells)
    return bytes(db.session.execute(stmt).scalar_one() or b"")
