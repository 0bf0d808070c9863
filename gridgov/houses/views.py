"""Houses as any scoped reader sees them: ID and phone numbers masked."""

from dataclasses import dataclass

from geoalchemy2.shape import to_shape
from sqlalchemy import func, or_, select

from gridgov.bulk import fetch_all
from gridgov.errors import NotFound
from gridgov.extensions import db
from gridgov.houses.models import House, Rental
from gridgov.scope import Principal, below, inside


def point(geom) -> list[float]:
    shape = to_shape(geom)
    return point_of(shape.x, shape.y)


def point_of(x: float, y: float) -> list[float]:
    """A location as the views show it: to 7 decimals (about a centimetre)."""
    return [round(x, 7), round(y, 7)]


# What any scoped reader sees of a house and its rental, as (view field, attribute): the
# masked copies where a number is sealed. The view, the lists and the exports read these.
SHOWN = {
    "code": "code",
    "community": "community_code",
    "grid": "grid_code",
    "compound": "compound",
    "building": "building",
    "unit": "unit",
    "floor": "floor",
    "room": "room",
    "use": "use",
    "structure": "structure",
    "floor_area": "floor_area",
    "owner_name": "owner_name",
    "owner_id_number": "owner_id_masked",
    "rented": "rented",
    "version": "version",
}
RENTAL_SHOWN = {
    "landlord_name": "landlord_name",
    "landlord_id_number": "landlord_id_masked",
    "landlord_phone": "landlord_phone_masked",
    "landlord_address": "landlord_address",
    "rental_use": "rental_use",
    "rented_area": "rented_area",
    "hazards": "hazards",
    "registered_on": "registered_on",
}
LON, LAT = func.ST_X(House.geom), func.ST_Y(House.geom)


def _decimal(value) -> str | None:
    return None if value is None else str(value)


def view(house: House, rental: Rental | None) -> dict:
    """A house as any scoped reader may see it: ID and phone numbers masked."""
    return _shown(
        {key: getattr(house, name) for key, name in SHOWN.items()},
        point(house.geom),
        house.deleted_at is not None,
        rental and {key: getattr(rental, name) for key, name in RENTAL_SHOWN.items()},
    )


def _shown(values: dict, location, deleted: bool, rental: dict | None) -> dict:
    """A house's SHOWN values (and its rental's RENTAL_SHOWN ones, None: no rental) as the
    view shows them: from a record (view) or from a list's columns (list_houses)."""
    values["floor_area"] = _decimal(values["floor_area"])
    values["location"] = location
    values["deleted"] = deleted
    if rental is not None:
        rental["rented_area"] = _decimal(rental["rented_area"])
        rental["hazards"] = list(rental["hazards"] or [])
        day = rental["registered_on"]
        rental["registered_on"] = day.isoformat() if day else None
        values["rental"] = rental
    return values


def shown_column(field: str):
    """The column of a view field ('rental.landlord_name', 'lon'), for list_rows()."""
    if field in ("lon", "lat"):
        return LON if field == "lon" else LAT
    if field.startswith("rental."):
        return getattr(Rental, RENTAL_SHOWN[field.removeprefix("rental.")])
    return getattr(House, SHOWN[field])


def get_house(principal: Principal, code: str) -> dict:
    house = db.session.scalar(
        select(House).where(
            House.code == code, House.deleted_at.is_(None), inside(principal, House.grid_code)
        )
    )
    if house is None:
        raise NotFound(f"No house with code {code} in your scope.", code="unknown_house")
    return view(house, db.session.get(Rental, house.id))


def views_by_code(principal: Principal, codes: set[str]) -> dict[str, dict]:
    """The houses among `codes` the principal may see (deleted ones flagged), by code."""
    if not codes:
        return {}
    stmt = (
        select(House, Rental)
        .outerjoin(Rental, Rental.house_id == House.id)
        .where(House.code.in_(codes), inside(principal, House.grid_code))
    )
    return {h.code: view(h, r) for h, r in db.session.execute(stmt)}


@dataclass(frozen=True)
class HouseFilters:
    """What desk staff narrow a list of houses by; None: not narrowed."""

    compound: str | None = None
    building: str | None = None
    rented: bool | None = None
    hazard: bool | None = None  # a rental with any hazard recorded
    crowded_above: int | None = None  # more people live there than this (群租)


def _filtered(stmt, f: HouseFilters):
    if f.compound:
        stmt = stmt.where(House.compound == f.compound)
    if f.building:
        stmt = stmt.where(House.building == f.building)
    if f.rented is not None:
        stmt = stmt.where(House.rented.is_(f.rented))
    if f.hazard is not None:
        has = func.cardinality(Rental.hazards) > 0
        stmt = stmt.where(has if f.hazard else or_(Rental.house_id.is_(None), ~has))
    if f.crowded_above is not None:
        # occupants: kept by the statistics triggers (migration 0003)
        stmt = stmt.where(House.rented.is_(True), House.occupants > f.crowded_above)
    return stmt


def count_houses(principal: Principal, prefix: str, filters: HouseFilters) -> int:
    """How many houses list_houses() would list, over all its pages."""
    stmt = select(House.id).outerjoin(Rental, Rental.house_id == House.id)
    stmt = _filtered(stmt.where(*_listed(principal, prefix)), filters)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def _listed(principal: Principal, prefix: str) -> tuple:
    return (
        House.deleted_at.is_(None),
        inside(principal, House.grid_code),
        below(House.grid_code, prefix),
    )


def list_houses(
    principal: Principal,
    prefix: str,
    after: str | None,
    limit: int,
    filters: HouseFilters = HouseFilters(),  # noqa: B008
) -> list[dict]:
    """Houses (not deleted) below an area, narrowed by `filters`, by code, keyset-paged after
    a code: each as view() shows it, built from the view's columns with no ORM object (a
    device's first sync reads pages of thousands)."""
    # The point in SQL: parsing each house's geometry in Python cost more than the rest of its view.
    columns = select(*_LISTED).select_from(House)
    out = []
    for row in fetch_all(_page(columns, principal, prefix, after, limit, filters)):
        values = dict(zip(SHOWN, row[:_RENTAL], strict=True))
        location = None if row[-2] is None else point_of(row[-2], row[-1])
        rental = None
        if row[_RENTAL] is not None:
            rental = dict(zip(RENTAL_SHOWN, row[_RENTAL + 1 : -2], strict=True))
        out.append(_shown(values, location, False, rental))
    return out


# What list_houses reads: the house's view columns, whether it has a rental, the rental's
# view columns, the point.
_LISTED = (
    *(getattr(House, name) for name in SHOWN.values()),
    Rental.house_id,
    *(getattr(Rental, name) for name in RENTAL_SHOWN.values()),
    LON,
    LAT,
)
_RENTAL = len(SHOWN)


def list_rows(
    principal: Principal,
    prefix: str,
    after: str | None,
    limit: int,
    filters: HouseFilters,
    fields: tuple[str, ...],
) -> list:
    """The page list_houses() would give, as tuples of the view fields `fields` only (the
    first must be "code"; nested ones as 'rental.hazards'): no ORM objects, for the exports."""
    columns = select(*(shown_column(f) for f in fields)).select_from(House)
    return fetch_all(_page(columns, principal, prefix, after, limit, filters))


def _page(stmt, principal: Principal, prefix: str, after, limit: int, filters: HouseFilters):
    """One keyset page of the listed houses (with their rental), whatever columns `stmt` selects."""
    stmt = (
        stmt.outerjoin(Rental, Rental.house_id == House.id)
        .where(*_listed(principal, prefix))
        .order_by(House.code)
        .limit(limit)
    )
    stmt = _filtered(stmt, filters)
    return stmt.where(House.code > after) if after else stmt
