"""House codes and building numbers: composing a code (domain.md §2), numbering new buildings
under a per-community lock, and the numbers a device reserves to code buildings offline."""

import re

from sqlalchemy import func, select, text

from gridgov.audit.service import record
from gridgov.errors import Conflict, NotFound, ValidationFailed, field_error
from gridgov.extensions import db
from gridgov.houses.models import Building
from gridgov.scope import Principal, touches

MAX_RESERVE = 50


def _digits(text_value: str, width: int, default: int = 0) -> str:
    found = re.findall(r"\d+", text_value or "")
    number = int(found[-1]) if found else default
    return f"{number % 10**width:0{width}d}"


def letter(label: str) -> int | None:
    """1 for A (or a), 2 for B, ...: the first Latin letter of a unit or room label, if any."""
    found = re.search(r"[A-Za-z]", label or "")
    return ord(found.group().upper()) - 64 if found else None


def unit_digits(unit: str) -> str:
    """A unit's two code digits: its last number (01 when it has none); a lettered unit
    (A, B, ...: no number then) is 9 and the letter's place, A -> 91 ... I -> 99."""
    k = letter(unit)
    return f"9{k}" if k is not None else _digits(unit, 2, 1)


def room_digits(room: str, floor: int) -> str:
    """A room's three code digits: its last number. A lettered room of a subdivided flat (A01,
    B01; 301A, 301B) puts a digit for its letter before the number's last two digits, so each
    room of a 群租 flat has its own code: the letters A to I take the digits 1 to 9 and then 0,
    skipping the hundreds digit the plain rooms of the floor have (the floor's last digit:
    room 301 of floor 3). On floor 3 301A -> 101 and 301B -> 201; on floor 1, where plain
    rooms are 1xx, 101A -> 201 beside room 101."""
    k = letter(room)
    if k is None:
        return _digits(room, 3)
    found = re.findall(r"\d+", room)
    free = [d for d in (1, 2, 3, 4, 5, 6, 7, 8, 9, 0) if d != floor % 10]
    return f"{free[k - 1]}{(int(found[-1]) if found else 0) % 100:02d}"


def compose_code(community: str, building_no: int, unit: str, floor: int, room: str) -> str:
    """community 12 + building 5 + unit 2 + floor 3 + room 3 (domain.md §2)."""
    return (
        community
        + f"{building_no:05d}"
        + unit_digits(unit)
        + f"{floor:03d}"
        + room_digits(room, floor)
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
        raise exhausted(community)
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


def reserved_number(principal: Principal, community: str, data: dict) -> int:
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
        or reserved.reserved_by != principal.user_id
    ):
        raise ValidationFailed.field(
            "data.code", f"building number {wanted:05d} is not reserved for you"
        )
    reserved.compound, reserved.building = data["compound"], data["building"]
    return wanted


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


def building_numbers(places: list[tuple[str, str, str]]) -> tuple[dict[tuple, int], set]:
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


def exhausted(community: str) -> Conflict:
    return Conflict(
        f"Community {community} has no building numbers left.", code="numbers_exhausted"
    )


def taken(code: str) -> Conflict:
    message = (
        f"gives house code {code}, which another house has (the same building, unit, floor "
        "and room digits); a subdivided room is told apart by a letter A to I"
    )
    return Conflict(
        f"House code {code} is taken: another house has the same building, unit, floor and room.",
        code="house_code_taken",
        errors=[field_error("data.room", message)],
    )


def reservations(principal: Principal, community: str | None) -> list[dict]:
    """Building numbers reserved and not yet bound to a building: a grid worker's own, or for
    staff every one in their areas (of one community, if given). A community beyond their
    areas is not found, as in reserve_numbers()."""
    if community and not touches(principal, community):
        raise NotFound(f"No community with code {community} in your scope.", code="unknown_area")
    stmt = (
        select(Building)
        .where(Building.compound.is_(None), Building.reserved_by.is_not(None))
        .order_by(Building.community_code, Building.number)
    )
    if community:
        stmt = stmt.where(Building.community_code == community)
    if principal.role == "grid_worker":
        stmt = stmt.where(Building.reserved_by == principal.user_id)
    return [
        {
            "community": b.community_code,
            "number": b.number,
            "digits": f"{b.number:05d}",
            "reserved_by": b.reserved_by,
            "device_id": b.device_id,
            "reserved_at": b.reserved_at,
        }
        for b in db.session.scalars(stmt)
        if touches(principal, b.community_code)
    ]


def release(principal: Principal, community: str, number: int) -> None:
    """Give back a reserved number not yet used (its reserver, or staff of its community).
    The number is not handed out again: codes are never reused."""
    reserved = db.session.get(Building, (community, number), with_for_update=True)
    mine = reserved is not None and (
        reserved.reserved_by == principal.user_id
        or (principal.role != "grid_worker" and touches(principal, community))
    )
    if not mine or reserved.compound is not None or reserved.reserved_by is None:
        raise NotFound(
            f"No reservation of building number {number:05d} in {community} for you.",
            code="unknown_reservation",
        )
    _release([reserved], principal.user_id)
    db.session.commit()


def expire(days: int) -> int:
    """Release the reservations older than `days` that no building has used; how many."""
    old = list(
        db.session.scalars(
            select(Building)
            .where(
                Building.compound.is_(None),
                Building.reserved_by.is_not(None),
                Building.reserved_at < func.now() - func.make_interval(0, 0, 0, days),
            )
            .with_for_update()
        )
    )
    _release(old, None)
    db.session.commit()
    return len(old)


def _release(rows: list, actor_id: int | None) -> None:
    for b in rows:
        record(
            "release_building_number",
            "community",
            b.community_code,
            actor_id=actor_id,
            device_id=b.device_id,
            before={"number": b.number, "reserved_by": b.reserved_by},
        )
        b.reserved_by, b.device_id = None, None
