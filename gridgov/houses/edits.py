"""Edits from what the server serves: an edit laid over the stored house, so a worker who
changes one field keeps the rest (and never needs the landlord's or owner's full numbers)."""

from geoalchemy2.shape import to_shape

from gridgov.extensions import db
from gridgov.houses.models import House, Rental
from gridgov.records.writer import Writer


def stored_data(w: Writer, house: House) -> dict:
    """A house on record as the record a writer would send for it (numbers in full: this
    never leaves the server), so an edit can be laid over it."""
    where = to_shape(house.geom)  # in full: a rounded point would read as a move
    lon, lat = where.x, where.y
    data = {
        "code": house.code,
        "compound": house.compound,
        "building": house.building,
        "unit": house.unit,
        "floor": house.floor,
        "room": house.room,
        "use": house.use,
        "rented": house.rented,
        "location": {"lon": lon, "lat": lat, "crs": "wgs84"},
    }
    optional = {
        "structure": house.structure,
        "floor_area": None if house.floor_area is None else str(house.floor_area),
        "owner_name": house.owner_name,
    }
    data |= {k: v for k, v in optional.items() if v is not None}
    if house.owner_id_sealed is not None:
        data["owner_id_number"] = w.vault.open(house.owner_id_sealed, "house.owner_id_number")
    rental = db.session.get(Rental, house.id)
    if rental is not None:
        r = {
            "landlord_name": rental.landlord_name,
            "landlord_id_number": w.vault.open(
                rental.landlord_id_sealed, "rental.landlord_id_number"
            ),
            "landlord_address": rental.landlord_address,
            "rental_use": rental.rental_use,
            "rented_area": None if rental.rented_area is None else str(rental.rented_area),
            "hazards": list(rental.hazards or []),
            "registered_on": rental.registered_on and rental.registered_on.isoformat(),
        }
        if rental.landlord_phone_sealed is not None:
            r["landlord_phone"] = w.vault.open(
                rental.landlord_phone_sealed, "rental.landlord_phone"
            )
        data["rental"] = {k: v for k, v in r.items() if v is not None}
    return data, rental


def over_stored(w: Writer, raw: dict, house: House) -> dict:
    """An edit laid over the stored house: fields left out keep their stored values (the
    rental field by field), and a masked number sent back as it was served means the stored
    one. (So a worker adds a hazard without the landlord's ID number, which they never see.)"""
    stored, rental = stored_data(w, house)
    out = {**stored}
    for name, value in raw.items():
        if name == "rental" and isinstance(value, dict):
            out[name] = {**(stored.get("rental") or {}), **value}
        else:
            out[name] = value
    if raw.get("owner_id_number") is not None and raw["owner_id_number"] == house.owner_id_masked:
        out["owner_id_number"] = stored["owner_id_number"]
    sent = raw.get("rental") if isinstance(raw.get("rental"), dict) else {}
    if rental is not None and isinstance(out.get("rental"), dict):
        served = {
            "landlord_id_number": rental.landlord_id_masked,
            "landlord_phone": rental.landlord_phone_masked,
        }
        for name, masked in served.items():
            if sent.get(name) is not None and sent[name] == masked:
                out["rental"][name] = stored["rental"][name]
    return out
