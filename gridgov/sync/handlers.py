"""From an upload record to a house or person write: the rows a batch fetches before its records
run, and for each record type and operation, which rows its write is given."""

import contextlib
from collections import ChainMap
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from gridgov import idnumber
from gridgov.clock import district_today
from gridgov.extensions import db
from gridgov.hierarchy.cells import cells_at
from gridgov.houses import service as houses
from gridgov.houses.models import House
from gridgov.people import edits
from gridgov.people import service as people
from gridgov.people.models import Person
from gridgov.records.outcome import Outcome
from gridgov.records.writer import Writer


@dataclass
class Prefetched:
    """What a batch's records name, fetched before any record runs: the stored people and the
    coded houses (locked), the houses people are registered in, the cells of house locations
    and whether device positions are near the worker's cells. Empty, every write looks its rows
    up itself."""

    persons: dict[bytes, Person] = field(default_factory=dict)  # by ID number's blind index
    by_id: dict[int, Person] = field(default_factory=dict)  # the same, by the server's key
    absent: set[bytes] = field(default_factory=set)  # indexes known to have no person yet
    indexes: dict[str, bytes] = field(default_factory=dict)  # blind index by number as sent
    houses: dict[str, House] = field(default_factory=dict)
    homes: dict[str, object] = field(default_factory=dict)  # people.HOME_COLUMNS rows
    cells: dict[tuple, tuple | None] = field(default_factory=dict)  # by WGS84 point
    near: dict[tuple, bool] = field(default_factory=dict)  # by device position as sent

    @property
    def known_homes(self):
        return ChainMap(self.homes, self.houses)

    def person(self, index: bytes) -> Person | None:
        """The person with this index, locked. One the batch found absent is so once: a later
        record of the same number finds the registration the batch has written since."""
        if index in self.persons:
            return self.persons[index]
        if index in self.absent:
            self.absent.discard(index)
            return None
        return people.locked(index)

    def person_by_id(self, person_id: int) -> Person | None:
        if person_id in self.by_id:
            return self.by_id[person_id]
        return people.locked_by_id(person_id)

    def named(self, person_id: int | None, index: bytes | None) -> Person | None:
        """The person a record names by key or by ID number; None when nobody (yet) is."""
        if person_id is not None:
            return self.person_by_id(person_id)
        return self.person(index) if index is not None else None

    def house(self, code: str) -> House | None:
        return self.houses[code] if code in self.houses else houses.locked(code)


def prefetch(w: Writer, raw_records: list, near) -> Prefetched:
    """Fetch every stored person and house the batch names, locking the people and the houses
    it writes in one global order before any record runs: two batches touching the same rows in
    different orders then queue instead of deadlocking. (The houses people are registered in
    are read, not locked.) `near` looks up device positions (geofence.near_cells)."""
    rows = Prefetched()
    locked_codes, codes, locations, positions, ids = set(), set(), [], [], set()
    for raw in raw_records:
        if not isinstance(raw, dict):
            continue
        positions.append(raw.get("position"))
        data = raw.get("data")
        if not isinstance(data, dict):
            continue
        if raw.get("type") == "person":
            person_id, _ = edits.upsert_key(w, {"id": data.get("id")})
            if person_id is not None:
                ids.add(person_id)
            elif isinstance(data.get("id_number"), str):
                with contextlib.suppress(idnumber.IdNumberError):
                    number = idnumber.parse(data["id_number"], w.today).number
                    rows.indexes[data["id_number"]] = w.vault.index(number, "id_number")
            if isinstance(data.get("house_code"), str):
                codes.add(data["house_code"])
        elif raw.get("type") == "house":
            if isinstance(data.get("code"), str):
                locked_codes.add(data["code"])
            locations.append(houses.wgs84_point(data.get("location")))
    indexes = set(rows.indexes.values())
    found = db.session.scalars(
        select(Person)
        .where(or_(Person.id_index.in_(indexes), Person.id.in_(ids)))
        .order_by(Person.id)
        .with_for_update()
    ).all()
    rows.persons = {bytes(p.id_index): p for p in found if bytes(p.id_index) in indexes}
    rows.by_id = {p.id: p for p in found}
    rows.absent = indexes - set(rows.persons)
    rows.houses = {
        h.code: h
        for h in db.session.scalars(
            select(House).where(House.code.in_(locked_codes)).order_by(House.id).with_for_update()
        )
    }
    rows.homes = people.homes(codes - locked_codes)
    points = list(dict.fromkeys(p for p in locations if p is not None))
    rows.cells = dict(zip(points, cells_at(points), strict=True))
    rows.near = near(positions)
    return rows


def captured_on(env: dict):
    """The district's date of a record's capture time (a move-in or move-out defaults to it)."""
    return district_today(env["captured_at"])


def plan(w: Writer, env: dict, rows: Prefetched):
    """A new house or person checked for the batch to write with others (houses.NewHouse,
    people.NewPerson), or None when the record is not a new one: apply() then writes it."""
    if env["op"] != "upsert":
        return None
    data = env["data"]
    if env["type"] == "house":
        if data.get("code"):
            return None
        return houses.plan_create(w, houses.prepare(w, data, rows.cells))
    if data.get("id") is not None:
        return None  # someone on record, by key: apply() edits them
    number = data.get("id_number")
    # The batch indexed every valid number; none here, and prepare says what is wrong.
    index = rows.indexes.get(number) if isinstance(number, str) else None
    if index is not None and index not in rows.absent:
        return None  # someone on record: apply() checks the record (once)
    rec = people.prepare(w, data, rows.known_homes)
    new = people.plan_create(w, rec, captured_on(env))
    rows.absent.discard(rec.index)
    return new


CREATORS = {"house": houses.create_many, "person": people.create_many}


def apply(w: Writer, env: dict, rows: Prefetched) -> Outcome:
    """Write one record that plan() left to write alone."""
    data, base = env["data"], env.get("base_version")
    match env["type"], env["op"]:
        case "house", "upsert":
            code = data.get("code")
            stored = rows.house(code) if isinstance(code, str) and len(code) == 25 else None
            rec = houses.prepare(w, data, rows.cells, stored=stored)
            return houses.upsert(w, rec, stored, base)
        case "house", "delete":
            code = houses.load_key(data)
            return houses.delete(w, code, rows.house(code), base)
        case "person", "upsert":
            person_id, index = edits.upsert_key(w, data)
            person = rows.named(person_id, index)
            if person_id is not None:
                person = people.named_by_key(w, person_id, person)
            # Only a record in the writer's areas is laid under the edit: one beyond them reads
            # as absent (a full record, then a transfer request or a registration again).
            stored = person if person is not None and w.covers(person.grid_code) else None
            rec = people.prepare(w, data, rows.known_homes, stored=stored)
            return people.upsert(w, rec, person, base, captured_on(env))
        case "person", "move":
            key = people.load_key(w, data)
            person = rows.named(key.id, key.index)
            return people.move(w, key, person, base, captured_on(env), rows.known_homes)
        case "person", "delete":
            key = people.load_key(w, data)
            person = rows.named(key.id, key.index)
            return people.delete(w, person, base, captured_on(env))
    raise AssertionError(f"no write for {env['type']} {env['op']}")  # RecordSchema allows none
