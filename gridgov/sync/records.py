"""What every record type's write shares: the write context, outcomes, code-table checks, the
geofence, the change feed and masked audit snapshots."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, text

from gridgov.audit.service import add_row
from gridgov.auth.scope import Principal, covers
from gridgov.crypto import Vault
from gridgov.errors import Forbidden, ValidationFailed, field_error
from gridgov.extensions import db
from gridgov.geo import SRID, point_to_wgs84
from gridgov.hierarchy.models import Area
from gridgov.hierarchy.service import valid_on
from gridgov.people import idnumber
from gridgov.sync.models import Change


@dataclass(frozen=True)
class Settings:
    geofence: str = "flag"  # "reject" or "flag" a record captured outside the worker's cells
    geofence_metres: float = 100.0


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
    houses: dict[str, object] = field(default_factory=dict)


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


def grid_at(lon: float, lat: float) -> tuple[str, str] | None:
    """(grid code, community code) of the cell in force today at a WGS84 point."""
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID)
    row = db.session.execute(
        select(Area.code, Area.parent_code)
        .where(Area.level == "grid", valid_on(), func.ST_Intersects(Area.geom, point))
        .order_by(Area.code)
        .limit(1)
    ).one_or_none()
    return (row.code, row.parent_code) if row else None


def require_scope(ctx: WriteContext, grid_code: str, what: str) -> None:
    if not covers(ctx.principal, grid_code):
        raise Forbidden(
            f"{what} lies in grid cell {grid_code}, outside your areas.", code="outside_scope"
        )


_NEAR_MY_AREAS = text(
    """
    SELECT EXISTS (
      SELECT 1 FROM areas a
      WHERE a.code = ANY(:codes)
        AND ST_DWithin(a.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :m)
    )
    """
)


def geofence(ctx: WriteContext, position: dict | None) -> list[str]:
    """Flags for where a grid worker's device was; raises when the policy is to reject."""
    if ctx.principal.role != "grid_worker":
        return []
    if position is None:
        return ["no_position"]
    lon, lat = point_to_wgs84(position["lon"], position["lat"], position["crs"])
    near = db.session.execute(
        _NEAR_MY_AREAS,
        {
            "codes": ctx.principal.area_codes,
            "lon": lon,
            "lat": lat,
            "m": ctx.settings.geofence_metres,
        },
    ).scalar()
    if near:
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
