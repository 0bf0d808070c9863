"""Houses: create, update and delete from device uploads, building numbers and house codes,
and the scoped, masked read views."""

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from geoalchemy2.elements import WKTElement
from geoalchemy2.shape import to_shape
from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import func, select, text, update

from gridgov.audit.service import record
from gridgov.auth.scope import Principal, inside, touches
from gridgov.bulk import insert_rows
from gridgov.crypto import mask_phone
from gridgov.errors import Conflict, NotFound, ValidationFailed
from gridgov.extensions import db
from gridgov.geo import SRID, point_to_wgs84
from gridgov.houses.models import Building, House, Rental
from gridgov.people.models import Person
from gridgov.sync import schemas
from gridgov.sync.records import (
    Outcome,
    Stale,
    WriteContext,
    check_codes,
    grid_at,
    note_change,
    parse_id,
    require_scope,
    sealed_id,
)

MAX_RESERVE = 50


def _digits(text_value: str, width: int, default: int = 0) -> str:
    found = re.findall(r"\d+", text_value or "")
    number = int(found[-1]) if found else default
    return f"{number % 10**width:0{width}d}"


def compose_code(community: str, building_no: int, unit: str, floor: int, room: str) -> str:
    """community 12 + building 5 + unit 2 + floor 3 + room 3 (domain.md §2)."""
    return (
        community + f"{building_no:05d}" + _digits(unit, 2, 1) + f"{floor:03d}" + _digits(room, 3)
    )


def _new_numbers(community: str, count: int = 1) -> list[int]:
    """The next unused building numbers of a community (locked until the transaction ends, so
    two uploads cannot take the same one)."""
    _lock_numbering([community])
    top = db.session.scalar(
        select(func.max(Building.number)).where(Building.community_code == community)
    )
    first = (top or 0) + 1
    if first + count - 1 > 99999:
        raise _exhausted(community)
    return list(range(first, first + count))


def reserve_numbers(principal: Principal, device_id: str, community: str, count: int) -> list[int]:
    """Reserve building numbers for a device to code new buildings while offline."""
    if not touches(principal, community):
        raise NotFound(f"No community with code {community} in your scope.", code="unknown_area")
    if not 1 <= count <= MAX_RESERVE:
        raise ValidationFailed.field("count", f"must be between 1 and {MAX_RESERVE}")
    numbers = _new_numbers(community, count)
    for number in numbers:
        db.session.add(
            Building(
                community_code=community,
                number=number,
                reserved_by=principal.user_id,
                device_id=device_id,
            )
        )
    record(
        "reserve_building_numbers",
        "community",
        community,
        actor_id=principal.user_id,
        device_id=device_id,
        after={"numbers": numbers},
    )
    db.session.commit()
    return numbers


def _reserved_number(ctx: WriteContext, community: str, data: dict) -> int:
    """The building number of a house the device coded: its building's number if the building
    is known, else the device's reservation, bound to this building now."""
    wanted = int(data["code"][12:17])
    known = db.session.scalar(
        select(Building.number).where(
            Building.community_code == community,
            Building.compound == data["compound"],
            Building.building == data["building"],
        )
    )
    if known is not None:
        if wanted != known:
            raise ValidationFailed.field(
                "data.code",
                f"building {data['building']} of {data['compound']} has number {known:05d}",
            )
        return known
    reserved = db.session.get(Building, (community, wanted), with_for_update=True)
    if (
        reserved is None
        or reserved.compound is not None
        or reserved.reserved_by != ctx.principal.user_id
    ):
        raise ValidationFailed.field(
            "data.code", f"building number {wanted:05d} is not reserved for you"
        )
    reserved.compound, reserved.building = data["compound"], data["building"]
    return wanted


def _validate(ctx: WriteContext, raw: dict) -> dict:
    errors = []
    try:
        data = schemas.HOUSE.load(raw)
    except MarshmallowError as e:
        messages = e.messages
        raise ValidationFailed.of_schema(messages, "data.") from None
    errors += check_codes(data, schemas.HOUSE_CODES, ctx.codes, "data.")
    if data.get("rental"):
        errors += check_codes(data["rental"], schemas.RENTAL_CODES, ctx.codes, "data.rental.")
        errors += check_codes(
            {"hazards": data["rental"]["hazards"]}, {"hazards": "hazard"}, ctx.codes, "data.rental."
        )
    if errors:
        raise ValidationFailed("; ".join(e["message"] for e in errors), errors=errors)
    return data


def _prepare(ctx: WriteContext, raw: dict) -> tuple[dict, dict, dict | None]:
    """(data, house column values, rental column values) of an uploaded house."""
    data = _validate(ctx, raw)
    where = data["location"]
    lon, lat = point_to_wgs84(where["lon"], where["lat"], where["crs"])
    found = grid_at(ctx, where)
    if found is None:
        raise ValidationFailed.field("data.location", "is not inside any grid cell of the district")
    values = {
        "grid_code": found[0],
        "community_code": found[1],
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
        owner = parse_id(data["owner_id_number"], "data.owner_id_number", ctx.today)
        sealed = sealed_id(ctx, owner.number, "house.owner_id_number")
        values["owner_id_sealed"], values["owner_id_index"], values["owner_id_masked"] = sealed
    rental = _rental_values(ctx, data.get("rental") if data["rented"] else None)
    return data, values, rental


def _rental_values(ctx: WriteContext, rental: dict | None) -> dict | None:
    if not rental:
        return None
    landlord = parse_id(rental["landlord_id_number"], "data.rental.landlord_id_number", ctx.today)
    sealed, index, masked = sealed_id(ctx, landlord.number, "rental.landlord_id_number")
    phone = rental.get("landlord_phone")
    return {
        "landlord_name": rental["landlord_name"],
        "landlord_id_sealed": sealed,
        "landlord_id_index": index,
        "landlord_id_masked": masked,
        "landlord_phone_sealed": ctx.vault.seal(phone, "rental.landlord_phone") if phone else None,
        "landlord_phone_masked": mask_phone(phone) if phone else None,
        "landlord_address": rental.get("landlord_address"),
        "rental_use": rental["rental_use"],
        "rented_area": rental.get("rented_area"),
        "hazards": sorted(set(rental["hazards"])),
        "registered_on": rental.get("registered_on"),
    }


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


def _differences(house: House, rental: Rental | None, values: dict, rental_values) -> list[dict]:
    out = [
        {"field": name, "ours": _show(house, name), "theirs": _show(values, name)}
        for name in _COMPARED
        if getattr(house, name) != values[name]
    ]
    if not to_shape(house.geom).equals_exact(to_shape(values["geom"]), 1e-9):
        out.append(
            {"field": "location", "ours": _point(house.geom), "theirs": _point(values["geom"])}
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


def _point(geom) -> list[float]:
    point = to_shape(geom)
    return [round(point.x, 7), round(point.y, 7)]


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


def _locked(ctx: WriteContext, code: str) -> House | None:
    """The house with this code, locked; a batch upload fetched and locked it already."""
    if code in ctx.houses:
        return ctx.houses[code]
    return db.session.scalar(select(House).where(House.code == code).with_for_update())


@dataclass
class NewHouse:
    """A house for the server to code, checked but not written (create_many writes it)."""

    values: dict  # the house's columns but its code
    rental: dict | None
    place: tuple[str, str, str]  # community, compound, building: the building number's key
    data: dict  # unit, floor and room: the rest of the code
    flags: list[str] = field(default_factory=list)


def plan_create(ctx: WriteContext, env: dict) -> NewHouse | None:
    """A batch's new house without a code, checked without writing, so the batch can number
    and write all of them together. None for a house the device coded (it may be on record, or
    bind a reserved building number): upsert then decides."""
    if env["data"].get("code"):
        return None
    data, values, rental = _prepare(ctx, env["data"])
    require_scope(ctx, values["grid_code"], "The house")
    place = (values["community_code"], data["compound"], data["building"])
    return NewHouse(values, rental, place, data)


def create_many(ctx: WriteContext, new: list[NewHouse]) -> list[Outcome]:
    """Number and write new houses with one statement per table: their buildings' numbers
    (known, or the next free ones), codes, rentals, change-feed and audit rows. A house whose
    code is taken, by a stored house or one before it here, is refused alone."""
    db.session.flush()  # earlier records' changes first
    numbers, fresh = _building_numbers([n.place for n in new])
    outcomes, rows = [], []
    for n in new:
        community, number = n.place[0], numbers.get(n.place)
        if number is None:
            outcomes.append(Outcome.refused(_exhausted(community)))
            continue
        code = compose_code(community, number, n.data["unit"], n.data["floor"], n.data["room"])
        outcomes.append(Outcome("created", 201, key=code, version=1, flags=n.flags))
        rows.append((len(outcomes) - 1, code, n))
    codes = [code for _, code, _ in rows]
    taken = set(db.session.scalars(select(House.code).where(House.code.in_(codes))))
    written = {}
    for i, code, n in rows:
        if code in taken or code in written:
            outcomes[i] = Outcome.refused(_taken(code))
        else:
            written[code] = n
    # New buildings only with a house in them (a house from before building numbers were kept
    # may hold the code a new number makes: refused, its building is not recorded).
    used = dict.fromkeys(n.place for n in written.values() if n.place in fresh)
    buildings = [
        {"community_code": c, "number": numbers[(c, p, b)], "compound": p, "building": b}
        for c, p, b in used
    ]
    insert_rows(db.session, Building, buildings)
    _insert(ctx, written)
    return outcomes


def _insert(ctx: WriteContext, houses: dict[str, NewHouse]) -> None:
    """Houses by code, with their rentals, change-feed and audit rows."""
    ids = dict(
        (code, house_id)
        for house_id, code in insert_rows(
            db.session,
            House,
            [{**n.values, "code": code} for code, n in houses.items()],
            returning=("id", "code"),
        )
    )
    rentals = [{"house_id": ids[c], **n.rental} for c, n in houses.items() if n.rental]
    insert_rows(db.session, Rental, rentals)
    for code, n in houses.items():
        house = SimpleNamespace(**n.values, code=code, version=1, deleted_at=None)
        note_change("house", code, house.grid_code, "upsert")
        record(
            "create_house",
            "house",
            code,
            actor_id=ctx.principal.user_id,
            device_id=ctx.device_id,
            after=view(house, n.rental and SimpleNamespace(**n.rental)),
        )


def _known_numbers(places: list[tuple[str, str, str]]) -> dict[tuple, int]:
    found = db.session.execute(
        text(
            "SELECT b.community_code, b.compound, b.building, b.number FROM buildings b "
            "JOIN unnest(CAST(:c AS text[]), CAST(:p AS text[]), CAST(:b AS text[])) k (c, p, b) "
            "ON b.community_code = k.c AND b.compound = k.p AND b.building = k.b"
        ),
        {"c": [p[0] for p in places], "p": [p[1] for p in places], "b": [p[2] for p in places]},
    )
    return {(c, p, b): number for c, p, b, number in found}


def _building_numbers(places: list[tuple[str, str, str]]) -> tuple[dict[tuple, int], set]:
    """(the number of each (community, compound, building), the places newly numbered): known
    numbers, else the next after the community's highest, under the lock single numbering takes
    (only when a building is new). A community out of numbers leaves its new buildings out."""
    places = list(dict.fromkeys(places))
    numbers = _known_numbers(places)
    new = [p for p in places if p not in numbers]
    if not new:
        return numbers, set()
    communities = sorted({c for c, _, _ in new})
    _lock_numbering(communities)
    numbers |= _known_numbers(new)  # numbered by another upload while this one waited
    top = dict(
        db.session.execute(
            select(Building.community_code, func.max(Building.number))
            .where(Building.community_code.in_(communities))
            .group_by(Building.community_code)
        ).all()
    )
    fresh = set()
    for place in new:
        if place in numbers or (top.get(place[0]) or 0) >= 99999:
            continue
        top[place[0]] = numbers[place] = (top.get(place[0]) or 0) + 1
        fresh.add(place)
    return numbers, fresh


def _lock_numbering(communities: list[str]) -> None:
    """Building numbering is serialised per community, the communities of one call locked in
    one order. (Two batches can still take two communities in opposite orders across calls;
    PostgreSQL then aborts one, and the upload reruns it.)"""
    db.session.execute(
        text(
            "SELECT pg_advisory_xact_lock(hashtext('buildings:' || c)) "
            "FROM unnest(CAST(:c AS text[])) c"
        ),
        {"c": sorted(communities)},
    )


def _exhausted(community: str) -> Conflict:
    return Conflict(
        f"Community {community} has no building numbers left.", code="numbers_exhausted"
    )


def _taken(code: str) -> Conflict:
    return Conflict(
        f"House code {code} is taken: another house has the same building, unit, floor and room.",
        code="house_code_taken",
    )


def upsert(ctx: WriteContext, env: dict) -> Outcome:
    data, values, rental_values = _prepare(ctx, env["data"])
    community = values["community_code"]
    require_scope(ctx, values["grid_code"], "The house")
    if not data.get("code"):
        place = (community, data["compound"], data["building"])
        [outcome] = create_many(ctx, [NewHouse(values, rental_values, place, data)])
        if outcome.outcome == "rejected":
            raise Conflict(outcome.detail, code=outcome.code)
        return outcome
    if data["code"][:12] != community:
        raise ValidationFailed.field(
            "data.code", f"does not begin with {community}, the community of its location"
        )
    house = _locked(ctx, data["code"])
    if house is None:
        return _create_coded(ctx, data, values, rental_values, community)
    return _update(ctx, env, house, values, rental_values)


def _create_coded(ctx, data, values, rental_values, community) -> Outcome:
    """A house the device coded offline, with a building number reserved for it."""
    number = _reserved_number(ctx, community, data)
    code = data["code"]
    if code[12:17] != f"{number:05d}":
        raise ValidationFailed.field("data.code", f"building digits must be {number:05d}")
    db.session.flush()  # the reservation, now bound to this building
    place = (community, data["compound"], data["building"])
    _insert(ctx, {code: NewHouse(values, rental_values, place, data)})
    return Outcome("created", 201, key=code, version=1)


def _update(ctx, env, house: House, values, rental_values) -> Outcome:
    if house.deleted_at is not None:
        raise Conflict(f"House {house.code} was deleted.", code="deleted")
    require_scope(ctx, house.grid_code, "The house")
    rental = db.session.get(Rental, house.id, with_for_update=True)
    diffs = _differences(house, rental, values, rental_values)
    if not diffs:
        return Outcome("unchanged", 200, key=house.code, version=house.version)
    if env.get("base_version") != house.version:
        raise Stale(house.version)
    before = view(house, rental)
    old_grid = house.grid_code
    for name, value in values.items():
        setattr(house, name, value)
    house.version += 1
    house.updated_at = func.now()
    if rental and not rental_values:
        db.session.delete(rental)
    elif rental_values:
        if rental is None:
            db.session.add(Rental(house_id=house.id, **rental_values))
        else:
            for name, value in rental_values.items():
                setattr(rental, name, value)
    if old_grid != house.grid_code:
        note_change("house", house.code, old_grid, "left")
    note_change("house", house.code, house.grid_code, "upsert")
    db.session.flush()
    if old_grid != house.grid_code:
        _move_occupants(house, old_grid)
    record(
        "update_house",
        "house",
        house.code,
        actor_id=ctx.principal.user_id,
        device_id=ctx.device_id,
        before=before,
        after=view(house, db.session.get(Rental, house.id)),
    )
    return Outcome("updated", 200, key=house.code, version=house.version)


def _move_occupants(house: House, old_grid: str) -> None:
    """People living in a house that moved to another cell move with it (scope, counts and the
    change feed all follow a person's cell)."""
    moved = db.session.scalars(
        update(Person)
        .where(Person.house_id == house.id, Person.deleted_at.is_(None))
        .values(grid_code=house.grid_code)
        .returning(Person.id)
    ).all()
    for person_id in moved:
        note_change("person", str(person_id), old_grid, "left")
        note_change("person", str(person_id), house.grid_code, "upsert")


def conflict_fields(ctx: WriteContext, env: dict) -> tuple[str, str, list[dict]]:
    """(key, grid, field differences) of a stale house edit or delete, for the conflict."""
    if env["op"] == "delete":
        house = db.session.scalar(select(House).where(House.code == env["data"]["code"]))
        return house.code, house.grid_code, [{"field": "deleted", "ours": False, "theirs": True}]
    data, values, rental_values = _prepare(ctx, env["data"])
    house = db.session.scalar(select(House).where(House.code == data["code"]))
    rental = db.session.get(Rental, house.id)
    return house.code, house.grid_code, _differences(house, rental, values, rental_values)


def delete(ctx: WriteContext, env: dict) -> Outcome:
    data = _load_key(env["data"])
    house = _locked(ctx, data["code"])
    if house is None:
        raise NotFound(f"No house with code {data['code']}.", code="unknown_house")
    require_scope(ctx, house.grid_code, "The house")
    if house.deleted_at is not None:
        return Outcome("unchanged", 200, key=house.code, version=house.version)
    if env.get("base_version") != house.version:
        raise Stale(house.version)
    from gridgov.people.models import Person

    if db.session.scalar(
        select(func.count()).where(Person.house_id == house.id, Person.deleted_at.is_(None))
    ):
        raise Conflict(
            f"People still live in house {house.code}; move them first.", code="house_occupied"
        )
    house.deleted_at, house.version = func.now(), house.version + 1
    note_change("house", house.code, house.grid_code, "delete")
    record(
        "delete_house",
        "house",
        house.code,
        actor_id=ctx.principal.user_id,
        device_id=ctx.device_id,
        before=view(house, None),
    )
    return Outcome("updated", 200, key=house.code, version=house.version)


def _load_key(raw: dict) -> dict:
    try:
        return schemas.HOUSE_KEY.load(raw)
    except MarshmallowError as e:
        raise ValidationFailed.of_schema(e.messages, "data.") from None


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
        "location": _point(house.geom),
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
