"""What differs between a stored house and a record of it: decides "unchanged", and lists the
fields of a conflict (personal values masked)."""

from geoalchemy2.shape import to_shape

from gridgov.houses.models import House, Rental
from gridgov.houses.views import point

# Fields compared to decide "unchanged" and listed in a conflict (sealed values compare by index).
_COMPARED = (
    "grid_code",
    "compound",
    "building",
    "unit",
    "floor",
    "room",
    "use",
    "structure",
    "floor_area",
    "owner_name",
    "owner_id_index",
    "rented",
)
_RENTAL_COMPARED = (
    "landlord_name",
    "landlord_id_index",
    "landlord_phone_masked",
    "landlord_address",
    "rental_use",
    "rented_area",
    "hazards",
    "registered_on",
)


def differences(house: House, rental: Rental | None, values: dict, rental_values) -> list[dict]:
    out = [
        {"field": name, "ours": _show(house, name), "theirs": _show(values, name)}
        for name in _COMPARED
        if getattr(house, name) != values[name]
    ]
    if not to_shape(house.geom).equals_exact(to_shape(values["geom"]), 1e-9):
        out.append(
            {"field": "location", "ours": point(house.geom), "theirs": point(values["geom"])}
        )
    for name in _RENTAL_COMPARED:
        ours = getattr(rental, name) if rental else None
        theirs = rental_values[name] if rental_values else None
        if ours != theirs:
            out.append(
                {
                    "field": f"rental.{name}",
                    "ours": _show(rental, name),
                    "theirs": _show(rental_values, name),
                }
            )
    return out


def _show(source, name: str):
    """A value fit for a conflict listing or an audit row: personal values masked."""
    if source is None:
        return None
    get = source.get if isinstance(source, dict) else lambda k: getattr(source, k)
    if name.endswith("_index"):
        return get(name.replace("_index", "_masked"))
    value = get(name)
    return (
        str(value) if value is not None and not isinstance(value, (str, int, bool, list)) else value
    )
