"""Houses as any scoped reader sees them: ID and phone numbers masked."""

from geoalchemy2.shape import to_shape
from sqlalchemy import select

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
        select(House).where(House.code == code, inside(principal, House.grid_code))
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


def list_houses(principal: Principal, prefix: str, after: str | None, limit: int) -> list[dict]:
    """Houses (not deleted) below an area, by code, keyset-paged after a code."""
    stmt = (
        select(House, Rental)
        .outerjoin(Rental, Rental.house_id == House.id)
        .where(
            House.deleted_at.is_(None),
            inside(principal, House.grid_code),
            House.grid_code.like(prefix + "%"),
        )
        .order_by(House.code)
        .limit(limit)
    )
    if after:
        stmt = stmt.where(House.code > after)
    return [view(h, r) for h, r in db.session.execute(stmt)]
