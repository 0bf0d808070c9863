"""Where a grid worker's device was when a record was captured, against their cells."""

from dataclasses import dataclass

from sqlalchemy import text

from gridgov.errors import Forbidden
from gridgov.extensions import db
from gridgov.geo import CRS_NAMES, point_to_wgs84
from gridgov.scope import Principal


@dataclass(frozen=True)
class Settings:
    geofence: str = "flag"  # "reject" or "flag" a record captured outside the worker's cells
    geofence_metres: float = 100.0
    keep_days: int = 365  # how long an upload's outcomes are kept for replays
    visit_max_distance_m: float = 100.0  # a door-visit result further from the house is flagged


_NEAR = text(
    """
    SELECT p.i, EXISTS (
      SELECT 1 FROM areas a
      WHERE a.code = ANY(:codes)
        AND ST_DWithin(a.geom::geography,
                       ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)::geography, :m))
    FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) WITH ORDINALITY AS p (lon, lat, i)
    """
)


def point_key(where) -> tuple | None:
    """(lon, lat, crs) of a position as a device sent it, if it is one (not yet validated)."""
    if not isinstance(where, dict) or where.get("crs") not in CRS_NAMES:
        return None
    lon, lat = where.get("lon"), where.get("lat")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat))
    # In range, as validation will want it (which also rules out NaN, infinities and integers
    # too large for a float).
    if not numbers or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat, where["crs"]


def near_cells(principal: Principal, positions: list, metres: float) -> dict[tuple, bool]:
    """Whether each device position (as sent) is within `metres` of the grid worker's cells,
    one query for all of them; nothing for anyone else (the geofence is a grid worker's)."""
    keys = list(dict.fromkeys(k for k in map(point_key, positions) if k is not None))
    if principal.role != "grid_worker" or not keys:
        return {}
    wgs84 = [point_to_wgs84(*key) for key in keys]
    found = db.session.execute(
        _NEAR,
        {
            "lon": [p[0] for p in wgs84],
            "lat": [p[1] for p in wgs84],
            "codes": principal.area_codes,
            "m": metres,
        },
    )
    return {keys[i - 1]: near for i, near in found}


def geofence(principal: Principal, settings: Settings, position, near: dict) -> list[str]:
    """Flags for where a grid worker's device was; raises when the policy is to reject. `near`
    holds positions looked up beforehand (near_cells)."""
    if principal.role != "grid_worker":
        return []
    if position is None:
        return ["no_position"]
    key = (position["lon"], position["lat"], position["crs"])
    if key not in near:
        near = near_cells(principal, [position], settings.geofence_metres)
    if near[key]:
        return []
    if settings.geofence == "reject":
        raise Forbidden(
            f"The device was more than {settings.geofence_metres:g} m outside your grid "
            "cells when this was captured.",
            code="outside_geofence",
        )
    return ["position_outside_geofence"]
