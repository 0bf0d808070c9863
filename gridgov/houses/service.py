"""Houses: create, update and delete, for any writer (a device upload, a desk service). Each
write is given the rows it works on (the stored house, locked) or looks them up itself; it never
depends on what an upload fetched before it."""

from dataclasses import dataclass, field
from types import SimpleNamespace

from geoalchemy2.elements import WKTElement
from sqlalchemy import func, select, text

from gridgov import feed
from gridgov.audit.service import record
from gridgov.bulk import insert_rows
from gridgov.crypto import mask_phone
from gridgov.errors import Conflict, ValidationFailed
from gridgov.extensions import db
from gridgov.geo import CRS_NAMES, SRID, point_to_wgs84
from gridgov.hierarchy.cells import cells_at
from gridgov.houses import numbers, schemas
from gridgov.houses.diff import differences
from gridgov.houses.edits import over_stored
from gridgov.houses.models import Building, House, Rental
from gridgov.houses.views import view
from gridgov.records.checks import check_codes, load, parse_id, refuse, sealed_id
from gridgov.records.outcome import Outcome, Stale
from gridgov.records.writer import Writer


@dataclass
class HouseRecord:
    """A house record validated, located and sealed: what every write of it needs."""

    data: dict  # as loaded by schemas.HOUSE
    values: dict  # the house's columns (but its code)
    rental: dict | None  # the rental's columns, if rented

    @property
    def code(self) -> str | None:
        return self.data.get("code")

    @property
    def place(self) -> tuple[str, str, str]:
        """community, compound, building: the key of its building number."""
        return self.values["community_code"], self.data["compound"], self.data["building"]


def wgs84_point(location) -> tuple[float, float] | None:
    """The WGS84 (lon, lat) of a location as a writer sent it, if it is a valid one; anything
    else is left to validation."""
    if not isinstance(location, dict) or location.get("crs") not in CRS_NAMES:
        return None
    lon, lat = location.get("lon"), location.get("lat")
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat))
    # In range, as validation will want it (which also rules out NaN, infinities and integers
    # too large for a float).
    if not numeric or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return point_to_wgs84(lon, lat, location["crs"])


def prepare(
    w: Writer, raw: dict, cells: dict | None = None, stored: House | None = None
) -> HouseRecord:
    """Validate a house record, find its cell, seal its numbers; an edit of `stored` (the
    house on record with its code) is laid over the stored house first (over_stored). `cells`
    may give the cells of WGS84 points looked up beforehand (hierarchy.cells.cells_at)."""
    if stored is not None and isinstance(raw, dict):
        raw = over_stored(w, raw, stored)
    data = load(schemas.HOUSE, raw)
    errors = check_codes(data, schemas.HOUSE_CODES, w.codes, "data.")
    if data.get("rental"):
        rental = data["rental"]
        errors += check_codes(rental, schemas.RENTAL_CODES, w.codes, "data.rental.")
        errors += check_codes(
            {"hazards": rental["hazards"]}, {"hazards": "hazard"}, w.codes, "data.rental."
        )
    refuse(errors)
    where = data["location"]
    lon, lat = point_to_wgs84(where["lon"], where["lat"], where["crs"])
    cells = cells or {}
    cell = cells[(lon, lat)] if (lon, lat) in cells else cells_at([(lon, lat)])[0]
    if cell is None:
        raise ValidationFailed.field("data.location", "is not inside any grid cell of the district")
    values = {
        "grid_code": cell[0],
        "community_code": cell[1],
        "compound": data["compound"],
        "building": data["building"],
        "unit": data["unit"],
        "floor": data["floor"],
        "room": data["room"],
        "use": data["use"],
        "structure": data.get("structure"),
        "floor_area": data.get("floor_area"),
        "owner_name": data.get("owner_name"),
        "rented": data["rented"],
        "geom": WKTElement(f"POINT({lon!r} {lat!r})", srid=SRID),
        "owner_id_sealed": None,
        "owner_id_index": None,
        "owner_id_masked": None,
    }
    if data.get("owner_id_number"):
        owner = parse_id(data["owner_id_number"], "data.owner_id_number", w.today)
        sealed = sealed_id(w.vault, owner.number, "house.owner_id_number")
        values["owner_id_sealed"], values["owner_id_index"], values["owner_id_masked"] = sealed
    rental = _rental_values(w, data.get("rental") if data["rented"] else None)
    return HouseRecord(data, values, rental)


def _rental_values(w: Writer, rental: dict | None) -> dict | None:
    if not rental:
        return None
    landlord = parse_id(rental["landlord_id_number"], "data.rental.landlord_id_number", w.today)
    sealed, index, masked = sealed_id(w.vault, landlord.number, "rental.landlord_id_number")
    phone = rental.get("landlord_phone")
    return {
        "landlord_name": rental["landlord_name"],
        "landlord_id_sealed": sealed,
        "landlord_id_index": index,
        "landlord_id_masked": masked,
        "landlord_phone_sealed": w.vault.seal(phone, "rental.landlord_phone") if phone else None,
        "landlord_phone_masked": mask_phone(phone) if phone else None,
        "landlord_address": rental.get("landlord_address"),
        "rental_use": rental["rental_use"],
        "rented_area": rental.get("rented_area"),
        "hazards": sorted(set(rental["hazards"])),
        "registered_on": rental.get("registered_on"),
    }


def locked(code: str) -> House | None:
    """The house with this code, locked until the transaction ends."""
    return db.session.scalar(select(House).where(House.code == code).with_for_update())


@dataclass
class NewHouse:
    """A house for the server to code, checked but not written (create_many writes it)."""

    record: HouseRecord
    flags: list[str] = field(default_factory=list)


def plan_create(w: Writer, rec: HouseRecord) -> NewHouse | None:
    """A new house without a code, checked without writing, so a batch can number and write
    many together. None for a house the writer coded (it may be on record, or bind a reserved
    building number): upsert then decides."""
    if rec.code:
        return None
    w.require_scope(rec.values["grid_code"], "The house")
    return NewHouse(rec)


def create_many(w: Writer, new: list[NewHouse]) -> list[Outcome]:
    """Number and write new houses with one statement per table: their buildings' numbers
    (known, or the next free ones), codes, rentals, change-feed and audit rows. A house whose
    code is taken, by a stored house or one before it here, is refused alone."""
    db.session.flush()  # earlier records' changes first
    found, fresh = numbers.building_numbers([n.record.place for n in new])
    outcomes, rows = [], []
    for n in new:
        rec = n.record
        number = found.get(rec.place)
        if number is None:
            outcomes.append(Outcome.refused(numbers.exhausted(rec.place[0])))
            continue
        d = rec.data
        code = numbers.compose_code(rec.place[0], number, d["unit"], d["floor"], d["room"])
        outcomes.append(Outcome("created", 201, key=code, version=1, flags=n.flags))
        rows.append((len(outcomes) - 1, code, rec))
    codes = [code for _, code, _ in rows]
    taken = set(db.session.scalars(select(House.code).where(House.code.in_(codes))))
    written = {}
    for i, code, rec in rows:
        if code in taken or code in written:
            outcomes[i] = Outcome.refused(numbers.taken(code))
        else:
            written[code] = rec
    # New buildings only with a house in them (a house from before building numbers were kept
    # may hold the code a new number makes: refused, its building is not recorded).
    used = dict.fromkeys(rec.place for rec in written.values() if rec.place in fresh)
    buildings = [
        {"community_code": c, "number": found[(c, p, b)], "compound": p, "building": b}
        for c, p, b in used
    ]
    insert_rows(db.session, Building, buildings)
    _insert(w, written)
    return outcomes


def _insert(w: Writer, houses: dict[str, HouseRecord]) -> None:
    """Houses by code, with their rentals, change-feed and audit rows."""
    ids = dict(
        (code, house_id)
        for house_id, code in insert_rows(
            db.session,
            House,
            [{**rec.values, "code": code} for code, rec in houses.items()],
            returning=("id", "code"),
        )
    )
    rentals = [{"house_id": ids[c], **rec.rental} for c, rec in houses.items() if rec.rental]
    insert_rows(db.session, Rental, rentals)
    for code, rec in houses.items():
        house = SimpleNamespace(**rec.values, code=code, version=1, deleted_at=None)
        feed.note_written("house", code, house.grid_code)
        record(
            "create_house",
            "house",
            code,
            actor_id=w.principal.user_id,
            device_id=w.device_id,
            after=view(house, rec.rental and SimpleNamespace(**rec.rental)),
        )


def upsert(w: Writer, rec: HouseRecord, stored: House | None, base_version: int | None) -> Outcome:
    """Create or update a house. `stored` is the house with the record's code, locked (None
    when there is none, or the record has no code)."""
    community = rec.values["community_code"]
    w.require_scope(rec.values["grid_code"], "The house")
    if not rec.code:
        [outcome] = create_many(w, [NewHouse(rec)])
        if outcome.outcome == "rejected":
            raise Conflict(outcome.detail, code=outcome.code)
        return outcome
    if rec.code[:12] != community:
        raise ValidationFailed.field(
            "data.code", f"does not begin with {community}, the community of its location"
        )
    if stored is None:
        return _create_coded(w, rec)
    return _update(w, rec, stored, base_version)


def _create_coded(w: Writer, rec: HouseRecord) -> Outcome:
    """A house the device coded offline, with a building number reserved for it."""
    number = numbers.reserved_number(w.principal, rec.place[0], rec.data)
    if rec.code[12:17] != f"{number:05d}":
        raise ValidationFailed.field("data.code", f"building digits must be {number:05d}")
    db.session.flush()  # the reservation, now bound to this building
    _insert(w, {rec.code: rec})
    return Outcome("created", 201, key=rec.code, version=1)


def _update(w: Writer, rec: HouseRecord, house: House, base_version: int | None) -> Outcome:
    w.require_coded_house(house.code, house.grid_code)
    if house.deleted_at is not None:
        raise Conflict(f"House {house.code} was deleted.", code="deleted")
    rental = db.session.get(Rental, house.id, with_for_update=True)
    diffs = differences(house, rental, rec.values, rec.rental)
    if not diffs:
        return Outcome("unchanged", 200, key=house.code, version=house.version)
    if base_version != house.version:
        raise Stale(house.version, house.code, house.grid_code, diffs)
    before = view(house, rental)
    old_grid = house.grid_code
    for name, value in rec.values.items():
        setattr(house, name, value)
    house.version += 1
    house.updated_at = func.now()
    if rental and not rec.rental:
        db.session.delete(rental)
    elif rec.rental:
        if rental is None:
            db.session.add(Rental(house_id=house.id, **rec.rental))
        else:
            for name, value in rec.rental.items():
                setattr(rental, name, value)
    feed.note_written("house", house.code, house.grid_code, old_grid)
    db.session.flush()
    if old_grid != house.grid_code:
        _move_occupants(house, old_grid)
    record(
        "update_house",
        "house",
        house.code,
        actor_id=w.principal.user_id,
        device_id=w.device_id,
        before=before,
        after=view(house, db.session.get(Rental, house.id)),
    )
    return Outcome("updated", 200, key=house.code, version=house.version)


# The people living in a house (the people package's rows, which a house write keeps in step:
# houses sit below people, so they are reached by table, as the redraw does).
_OCCUPIED = text(
    "SELECT EXISTS (SELECT 1 FROM persons WHERE house_id = :house AND deleted_at IS NULL)"
)
_MOVE_OCCUPANTS = text(
    "UPDATE persons SET grid_code = :grid "
    "WHERE house_id = :house AND deleted_at IS NULL RETURNING id"
)


def _move_occupants(house: House, old_grid: str) -> None:
    """People living in a house that moved to another cell move with it (scope, counts and the
    change feed all follow a person's cell)."""
    moved = db.session.scalars(_MOVE_OCCUPANTS, {"grid": house.grid_code, "house": house.id}).all()
    if moved:
        db.session.expire_all()  # people this session holds now have a new cell (all flushed)
    for person_id in moved:
        feed.note_written("person", str(person_id), house.grid_code, old_grid)


def load_key(raw: dict) -> str:
    """The code a delete names."""
    return load(schemas.HOUSE_KEY, raw)["code"]


def delete(w: Writer, code: str, house: House | None, base_version: int | None) -> Outcome:
    """Delete a house (`house`: the one with this code, locked, or None)."""
    w.require_coded_house(code, house.grid_code if house is not None else None)
    if house.deleted_at is not None:
        return Outcome("unchanged", 200, key=house.code, version=house.version)
    if base_version != house.version:
        deleted = [{"field": "deleted", "ours": False, "theirs": True}]
        raise Stale(house.version, house.code, house.grid_code, deleted)
    if db.session.scalar(_OCCUPIED, {"house": house.id}):
        raise Conflict(
            f"People still live in house {house.code}; move them first.", code="house_occupied"
        )
    house.deleted_at, house.version = func.now(), house.version + 1
    feed.note("house", house.code, house.grid_code, "delete")
    record(
        "delete_house",
        "house",
        house.code,
        actor_id=w.principal.user_id,
        device_id=w.device_id,
        before=view(house, None),
    )
    return Outcome("deleted", 200, key=house.code, version=house.version)
