"""Houses as any scoped reader sees them: ID and phone numbers masked."""

from dataclasses import dataclass

from geoalchemy2.shape import to_shape
from sqlalchemy import func, or_, select

from gridgov.errors import NotFound
from gridgov.extensions import db
from gridgov.houses.models import House, Rental
from gridgov.scope import Principal, inside


def point(geom) -> list[float]:
    shape = to_shape(geom)
    return [round(shape.x, 7), round(shape.y, 7)]


def view(house: House, rental: Rental | None) -> dict:
    """A house as any scoped reader may see it: ID and phone numbers masked."""
    out = {
        "code": house.code,
        "community": house.community_code,
        "grid": house.grid_code,
        "compound": house.compound,
        "building": house.building,
        "unit": house.unit,
        "floor": house.floor,
        "room": house.room,
        "use": house.use,
        "structure": house.structure,
        "floor_area": None if house.floor_area is None else str(house.floor_area),
        "owner_name": house.owner_name,
        "owner_id_number": house.owner_id_masked,
        "rented": house.rented,
        "version": house.version,
        "location": point(house.geom),
        "deleted": house.deleted_at is not None,
    }
    if rental is not None:
        out["rental"] = {
            "landlord_name": rental.landlord_name,
            "landlord_id_number": rental.landlord_id_masked,
            "landlord_phone": rental.landlord_phone_masked,
            "landlord_address": rental.landlord_address,
            "rental_use": rental.rental_use,
            "rented_area": None if rental.rented_area is None else str(rental.rented_area),
            "hazards": list(rental.hazards or []),
            "registered_on": rental.registered_on.isoformat() if rental.registered_on else None,
        }
    return out


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
        House.grid_code.like(prefix + "%"),
    )


def list_houses(
    principal: Principal,
    prefix: str,
    after: str | None,
    limit: int,
    filters: HouseFilters = HouseFilters(),  # noqa: B008
) -> list[dict]:
    """Houses (not deleted) below an area, narrowed by `filters`, by code, keyset-paged after
    a code."""
    stmt = (
        select(House, Rental)
        .outerjoin(Rental, Rental.house_id == House.id)
        .where(*_listed(principal, prefix))
        .order_by(House.code)
        .limit(limit)
    )
    stmt = _filtered(stmt, filters)
    if after:
        stmt = stmt.where(House.code > after)
    return [view(h, r) for h, r in db.session.execute(stmt)]
