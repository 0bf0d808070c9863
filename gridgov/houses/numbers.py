"""House codes and building numbers: composing a code (domain.md §2), numbering new buildings
under a per-community lock, and the numbers a device reserves to code buildings offline."""

import re

from sqlalchemy import func, select, text

from gridgov.audit.service import record
from gridgov.errors import Conflict, NotFound, ValidationFailed
from gridgov.extensions import db
from gridgov.houses.models import Building
from gridgov.scope import Principal, touches

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
    return Conflict(
        f"House code {code} is taken: another house has the same building, unit, floor and room.",
        code="house_code_taken",
    )
