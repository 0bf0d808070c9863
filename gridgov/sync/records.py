"""What every record type's write shares: the write context, outcomes, code-table checks, the
geofence, the change feed and masked audit snapshots."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, text

from gridgov.audit.service import add_row
from gridgov.auth.scope import Principal, covers
from gridgov.crypto import Vault
from gridgov.errors import Forbidden, GridgovError, ValidationFailed, field_error
from gridgov.extensions import db
from gridgov.geo import CRS_NAMES, SRID, point_to_wgs84
from gridgov.hierarchy.models import Area
from gridgov.hierarchy.service import valid_on
from gridgov.houses.models import House
from gridgov.people import idnumber
from gridgov.sync.models import Change


@dataclass(frozen=True)
class Settings:
    geofence: str = "flag"  # "reject" or "flag" a record captured outside the worker's cells
    geofence_metres: float = 100.0
    keep_days: int = 365  # how long an upload's outcomes are kept for replays


@dataclass
class WriteContext:
    principal: Principal
    device_id: str | None
    vault: Vault
    codes: dict[str, frozenset[str]]
    settings: Settings = field(default_factory=Settings)
    today: date = field(default_factory=date.today)
    # Filled for a batch upload (sync.service): the stored people (locked) and houses its records
    # name, and the ID indexes known to have no person yet, so records need no look-ups.
    persons: dict[bytes, object] = field(default_factory=dict)
    absent: set[bytes] = field(default_factory=set)
    indexes: dict[str, bytes] = field(default_factory=dict)  # blind index by number as sent
    houses: dict[str, object] = field(default_factory=dict)
    homes: dict[str, object] = field(default_factory=dict)  # houses people are registered in
    # Looked up for a whole batch at once (locate), by the point as sent (lon, lat, crs): the
    # cell and community of a house's location, and whether a device position is near the
    # worker's cells.
    cells: dict[tuple, tuple[str, str] | None] = field(default_factory=dict)
    near: dict[tuple, bool] = field(default_factory=dict)


# What a person's record needs of their house: rows, not entities, for hundreds at a time.
HOME_COLUMNS = (House.id, House.code, House.grid_code, House.deleted_at)


@dataclass
class Outcome:
    outcome: str  # created, updated, unchanged, conflict, rejected
    status: int
    key: str | None = None
    version: int | None = None
    flags: list[str] = field(default_factory=list)
    code: str | None = None
    detail: str | None = None
    errors: list[dict] | None = None
    conflict_id: int | None = None

    @classmethod
    def refused(cls, e: GridgovError) -> "Outcome":
        return cls("rejected", e.status, code=e.code, detail=e.detail, errors=e.errors or None)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [])}


class Stale(Exception):
    """The record changed since the version the device edited."""

    def __init__(self, current_version: int):
        self.current_version = current_version


def check_codes(data: dict, fields_to_tables: dict[str, str], codes, prefix: str = "") -> list:
    errors = []
    for name, table in fields_to_tables.items():
        value = data.get(name)
        values = value if isinstance(value, list) else [value] if value is not None else []
        for item in values:
            if item not in codes.get(table, ()):
                errors.append(field_error(f"{prefix}{name}", f"{item!r} is not a code of {table}"))
    return errors


def parse_id(value: str, where: str, today: date) -> idnumber.IdNumber:
    try:
        return idnumber.parse(value, today)
    except idnumber.IdNumberError as e:
        raise ValidationFailed(
            f"{where}: {e}", errors=[field_error(where, f"{e} ({e.rule})")]
        ) from None


def sealed_id(ctx: WriteContext, number: str, purpose: str) -> tuple[bytes, bytes, str]:
    """(sealed, blind index, masked) of a normalised ID number."""
    return (
        ctx.vault.seal(number, purpose),
        ctx.vault.index(number, "id_number"),
        idnumber.mask(number),
    )


def grid_at(ctx: WriteContext, where: dict) -> tuple[str, str] | None:
    """(grid code, community code) of the cell in force today at a validated location."""
    key = (where["lon"], where["lat"], where["crs"])
    if key in ctx.cells:
        return ctx.cells[key]
    lon, lat = point_to_wgs84(*key)
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID)
    row = db.session.execute(
        select(Area.code, Area.parent_code)
        .where(Area.level == "grid", valid_on(), func.ST_Intersects(Area.geom, point))
        .order_by(Area.code)
        .limit(1)
    ).one_or_none()
    return (row.code, row.parent_code) if row else None


def _point_key(where) -> tuple | None:
    """(lon, lat, crs) of a location as a device sent it, if it is one (not yet validated)."""
    if not isinstance(where, dict) or where.get("crs") not in CRS_NAMES:
        return None
    lon, lat = where.get("lon"), where.get("lat")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat))
    # In range, as validation will want it (which also rules out NaN, infinities and integers
    # too large for a float).
    if not numbers or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat, where["crs"]


_CELLS = text(
    """
    SELECT p.i, a.code, a.parent_code
    FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) WITH ORDINALITY AS p (lon, lat, i)
    LEFT JOIN LATERAL (
      SELECT code, parent_code FROM areas
      WHERE level = 'grid' AND valid_from <= current_date
        AND (valid_to IS NULL OR valid_to > current_date)
        AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
      ORDER BY code LIMIT 1) a ON true
    """
)

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


def _keys(points: list) -> list[tuple]:
    return list(dict.fromkeys(k for k in map(_point_key, points) if k is not None))


def _at(query, keys: list[tuple], **params):
    wgs84 = [point_to_wgs84(*key) for key in keys]
    lon, lat = [p[0] for p in wgs84], [p[1] for p in wgs84]
    return db.session.execute(query, {"lon": lon, "lat": lat, **params})


def locate(ctx: WriteContext, locations: list, positions: list) -> None:
    """Look up, one query each, the cells of a batch's house locations and whether its device
    positions are near the worker's cells. Points as sent: anything that is not one is left to
    the record's own validation."""
    if keys := _keys(locations):
        for i, code, community in _at(_CELLS, keys):
            ctx.cells[keys[i - 1]] = (code, community) if code else None
    if ctx.principal.role == "grid_worker" and (keys := _keys(positions)):
        codes, metres = ctx.principal.area_codes, ctx.settings.geofence_metres
        for i, near in _at(_NEAR, keys, codes=codes, m=metres):
            ctx.near[keys[i - 1]] = near


def require_scope(ctx: WriteContext, grid_code: str, what: str) -> None:
    if not covers(ctx.principal, grid_code):
        raise Forbidden(
            f"{what} lies in grid cell {grid_code}, outside your areas.", code="outside_scope"
        )


def geofence(ctx: WriteContext, position: dict | None) -> list[str]:
    """Flags for where a grid worker's device was; raises when the policy is to reject."""
    if ctx.principal.role != "grid_worker":
        return []
    if position is None:
        return ["no_position"]
    key = (position["lon"], position["lat"], position["crs"])
    if key not in ctx.near:
        locate(ctx, [], [position])
    if ctx.near[key]:
        return []
    if ctx.settings.geofence == "reject":
        raise Forbidden(
            f"The device was more than {ctx.settings.geofence_metres:g} m outside your grid "
            "cells when this was captured.",
            code="outside_geofence",
        )
    return ["position_outside_geofence"]


def note_change(record_type: str, key: str, grid_code: str, op: str) -> None:
    add_row(Change, grid_code=grid_code, record_type=record_type, record_key=key, op=op)
