"""Houses as a Mapbox Vector Tile (layer 'houses') for the desk map. The properties carry no
personal information: no owner, no names, no numbers, only how many people live there."""

from sqlalchemy import func, literal_column, select

from gridgov.extensions import db
from gridgov.geo import SRID
from gridgov.houses.models import House
from gridgov.scope import Principal, inside

MIN_ZOOM, MAX_ZOOM = 14, 22  # below 14 a tile would hold thousands of overlapping points
EXTENT, BUFFER = 4096, 64
WORLD = 2 * 20037508.342789  # the width of the Web Mercator square, in metres


def house_tile(principal: Principal, z: int, x: int, y: int, crowded_above: int) -> bytes:
    """The houses (not deleted) in the principal's scope inside tile z/x/y, Web Mercator XYZ;
    `overcrowded` is a rented house with more than `crowded_above` people (群租), decided here
    so the map and the 楼盘表 use the same limit."""
    envelope = func.ST_TileEnvelope(z, x, y)
    # Points in the buffer too, so a symbol on a tile's edge is drawn whole on both tiles.
    reach = func.ST_Transform(func.ST_Expand(envelope, WORLD / 2**z * BUFFER / EXTENT), SRID)
    points = (
        select(
            House.code,
            House.grid_code.label("grid"),
            House.use,
            House.rented,
            House.occupants,
            (House.rented & (House.occupants > crowded_above)).label("overcrowded"),
            func.ST_AsMVTGeom(
                func.ST_Transform(House.geom, 3857), envelope, EXTENT, BUFFER, True
            ).label("geom"),
        )
        .where(
            House.deleted_at.is_(None),
            inside(principal, House.grid_code),
            func.ST_Intersects(House.geom, reach),
        )
        .subquery("t")
    )
    stmt = select(func.ST_AsMVT(literal_column("t"), "houses", EXTENT, "geom")).select_from(points)
    return bytes(db.session.execute(stmt).scalar_one() or b"")
