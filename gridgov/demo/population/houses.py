"""Where people will live: compounds of buildings in each grid cell, their houses, a point for
each building and an owner for each house."""

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from gridgov.demo.population.names import CompoundNames
from gridgov.demo.population.place import District
from gridgov.demo.population.plan import DORM, HEAD, TOWER, TYPES, VILLAGE, Cells, Houses, People


def plan_houses(
    rng: np.random.Generator, session: Session, cells: Cells, total: int, place: District
) -> Houses:
    """Compounds of buildings in each cell until the cell has its share of houses."""
    weights = cells.area * rng.lognormal(0, 0.5, len(cells.codes))
    weights[cells.dedicated] *= 0.15
    targets = rng.multinomial(total, weights / weights.sum())
    names = CompoundNames(rng, session, place.places, place.villages)
    b_cell, b_type, b_compound, b_label, parts = [], [], [], [], []
    for cell, left in enumerate(targets):
        if cells.dedicated[cell]:
            mix = np.array([0, 0, 0.3, 0.7])
        else:
            village = rng.beta(1.5, 4)
            mix = np.array([village, (1 - village) * 0.45, (1 - village) * 0.55, 0])
        while left > 0:
            kind = int(rng.choice(4, p=mix))
            t = TYPES[kind]
            compound = names.new(cells.communities[cell], kind)
            for b in range(1, int(rng.integers(*t.buildings, endpoint=True)) + 1):
                if left <= 0:
                    break
                floors = int(rng.integers(*t.floors, endpoint=True))
                units = int(rng.integers(*t.units, endpoint=True))
                rooms = int(rng.integers(*t.rooms, endpoint=True))
                count = min(floors * units * rooms, int(left))
                left -= count
                unit, floor, room = np.indices((units, floors, rooms)).reshape(3, -1)[:, :count]
                parts.append((len(b_cell), unit + 1, floor + 1, room + 1))
                b_cell.append(cell)
                b_type.append(kind)
                b_compound.append(compound)
                b_label.append(f"{b}号楼" if kind == DORM else f"{b}栋")
    building = np.concatenate([np.full(len(p[1]), p[0], np.int32) for p in parts])
    b_type_arr = np.array(b_type, np.int8)
    kind = b_type_arr[building]
    floor = np.concatenate([p[2] for p in parts]).astype(np.int16)
    n = len(building)
    rented_share = np.array([t.rented for t in TYPES])[kind]
    shop = (kind == VILLAGE) & (floor == 1) & (rng.random(n) < 0.5)
    rented = shop | (rng.random(n) < rented_share)
    low, high = np.array([t.area for t in TYPES]).T
    area = np.round(low[kind] + (high[kind] - low[kind]) * rng.random(n), 2)
    use = np.where(shop, "02", np.where(kind == DORM, "07", "01")).astype(object)
    use[(kind == TOWER) & (rng.random(n) < 0.05)] = "06"
    structure = np.empty(n, object)
    for k, t in enumerate(TYPES):
        where = kind == k
        structure[where] = rng.choice(np.array(t.structures), size=int(where.sum()))
    return Houses(
        b_cell=np.array(b_cell, np.int32),
        b_type=b_type_arr,
        b_compound=b_compound,
        b_label=b_label,
        b_number=np.zeros(len(b_cell), np.int32),
        b_point=[],
        building=building,
        unit=np.concatenate([p[1] for p in parts]).astype(np.int16),
        floor=floor,
        room=np.concatenate([p[3] for p in parts]).astype(np.int16),
        use=list(use),
        structure=list(structure),
        area=area,
        rented=rented,
        shop=shop,
        dorm=kind == DORM,
        owner=np.full(n, -1, np.int64),
        ids=np.zeros(n, np.int64),
    )


def choose_owners(rng: np.random.Generator, houses: Houses, people: People, today: int) -> None:
    """Owners: the landlord of a let house (one per building in an urban village), the head of
    the household living in an owned one, some local household head for an empty one."""
    n = len(people.birth)
    heads = np.flatnonzero(people.role == HEAD)
    adults = heads[people.birth[heads] < today - 28 * 365]
    landlords = adults[~people.floating[adults]] if (~people.floating[adults]).any() else adults
    if len(landlords) == 0:
        landlords = np.arange(n)
    h = len(houses.building)
    owner = rng.choice(landlords, size=h)
    per_building = rng.choice(landlords, size=len(houses.b_type))
    village = houses.b_type[houses.building] == VILLAGE
    owner[village] = per_building[houses.building[village]]
    living = np.full(h, -1, np.int64)
    living[people.house[heads]] = heads
    own = ~houses.rented & (living >= 0)
    own &= ~people.floating[np.maximum(living, 0)] | (
        people.residence_type[np.maximum(living, 0)] == "05"
    )
    owner[own] = living[own]
    owner[houses.dorm] = -1
    houses.owner = owner


def place_buildings(
    rng: np.random.Generator, session: Session, cells: Cells, houses: Houses
) -> None:
    """A random point in its cell for each building, neighbours in a compound near each other
    (points are ordered in west-east bands from north to south)."""
    counts = np.bincount(houses.b_cell, minlength=len(cells.codes))
    wanted = np.flatnonzero(counts)
    rows = session.execute(
        text(
            "SELECT w.code, ST_X(d.geom), ST_Y(d.geom) FROM unnest(CAST(:codes AS text[]), "
            "CAST(:counts AS int[])) AS w(code, n) JOIN areas a ON a.code = w.code "
            "CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(a.geom, w.n, :seed)) d "
            "ORDER BY w.code, d.path"
        ),
        {
            "codes": [cells.codes[c] for c in wanted],
            "counts": counts[wanted].tolist(),
            "seed": int(rng.integers(1, 2**31 - 1)),
        },
    ).all()
    by_cell: dict[str, list[tuple[float, float]]] = {}
    for code, x, y in rows:
        by_cell.setdefault(code, []).append((x, y))
    points = [""] * len(houses.b_cell)
    members = np.argsort(houses.b_cell, kind="stable")
    starts = np.r_[0, np.cumsum(counts)]
    for c in wanted:
        found = by_cell[cells.codes[c]]
        top = max(y for _, y in found)
        band = [int((top - y) / 0.0009) for _, y in found]
        order = sorted(range(len(found)), key=lambda i: (band[i], found[i][0] * (-1) ** band[i]))
        for b, i in zip(members[starts[c] : starts[c + 1]], order, strict=True):
            x, y = found[i]
            points[b] = f"SRID=4326;POINT({x!r} {y!r})"
    houses.b_point = points
