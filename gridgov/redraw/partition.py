"""Group blocks into cells of a moderate size (规模适度) by recursive bisection.

Pure Python, no database: blocks are points (their centroids in metres) with a household count
and the blocks they share an edge with. A set of blocks meant for k cells is cut across its longer
side where the households best divide k1:k2, preferring cuts that leave both halves in one piece;
each half then chooses its own number of cells from its households, so a big compound on one side
does not starve the other.
"""

import math
from dataclasses import dataclass

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0
CANDIDATES = 12  # cut positions tried per axis, nearest the balance first


@dataclass(frozen=True)
class Block:
    no: int
    x: float  # metres east
    y: float  # metres north
    households: int


def to_metres(lon: float, lat: float, lat0: float) -> tuple[float, float]:
    """A local equirectangular projection, good enough to compare distances in one community."""
    return lon * M_PER_DEG_LON * math.cos(math.radians(lat0)), lat * M_PER_DEG_LAT


def cell_count(households: int, low: int, high: int) -> int:
    """How many cells households should fill: the count nearest the middle of the bounds among
    those that keep every cell within them, else the one that breaks them least."""
    if households <= 0:
        return 1
    fewest, most = math.ceil(households / high), households // low
    if fewest <= most:
        return min(max(round(households / ((low + high) / 2)), fewest), most)
    if most == 0:
        return 1
    over = households / most / high - 1  # the cells are too big with `most`
    under = 1 - households / fewest / low  # and too small with `fewest`
    return most if over < under else fewest


def connected(nos: set[int], adjacency: dict[int, set[int]]) -> bool:
    if not nos:
        return True
    start = next(iter(nos))
    seen, todo = {start}, [start]
    while todo:
        for other in adjacency.get(todo.pop(), ()):
            if other in nos and other not in seen:
                seen.add(other)
                todo.append(other)
    return len(seen) == len(nos)


def pieces(nos: set[int], adjacency: dict[int, set[int]]) -> list[set[int]]:
    """The connected pieces of a set of blocks, the one with the most blocks first."""
    left, out = set(nos), []
    while left:
        start = min(left)
        seen, todo = {start}, [start]
        while todo:
            for other in adjacency.get(todo.pop(), ()):
                if other in left and other not in seen:
                    seen.add(other)
                    todo.append(other)
        out.append(seen)
        left -= seen
    return sorted(out, key=lambda p: (-len(p), min(p)))


def mend(cells: list[list[Block]], adjacency: dict[int, set[int]]) -> list[list[Block]]:
    """No cell in two pieces: each stray piece of a cell joins the neighbouring cell with the
    fewest households (a piece that touches no other cell becomes a cell of its own)."""
    by_no = {b.no: b for cell in cells for b in cell}
    members = [{b.no for b in cell} for cell in cells]
    for _ in range(len(by_no)):
        cell_of = {no: i for i, m in enumerate(members) for no in m}
        split = next(
            ((i, parts) for i, m in enumerate(members) if len(parts := pieces(m, adjacency)) > 1),
            None,
        )
        if split is None:
            break
        i, parts = split
        for piece in parts[1:]:
            beside = {cell_of[o] for no in piece for o in adjacency.get(no, ())} - {i}
            members[i] -= piece
            if beside:
                size = {c: sum(by_no[no].households for no in members[c]) for c in beside}
                members[min(beside, key=lambda c: (size[c], c))] |= piece
            else:
                members.append(set(piece))
    return [[by_no[no] for no in sorted(m)] for m in members if m]


def _cuts(blocks: list[Block], axis: int, target: float):
    """(error, first half) for the cut positions along an axis nearest the target."""
    if axis == 0:
        order = sorted(blocks, key=lambda b: (b.x, -b.y, b.no))
    else:
        order = sorted(blocks, key=lambda b: (-b.y, b.x, b.no))
    running, sums = 0, []
    for b in order[:-1]:
        running += b.households
        sums.append(running)
    ranked = sorted(range(len(sums)), key=lambda i: abs(sums[i] - target))[:CANDIDATES]
    return [(abs(sums[i] - target), order[: i + 1], order[i + 1 :]) for i in ranked]


def bisect(
    blocks: list[Block], k: int, adjacency: dict[int, set[int]]
) -> tuple[list[Block], list[Block]] | None:
    """Two halves meant for k // 2 and k - k // 2 cells, or None for a single block."""
    if len(blocks) < 2:
        return None
    k = max(k, 2)
    total = sum(b.households for b in blocks)
    target = total * (k // 2) / k
    width = max(b.x for b in blocks) - min(b.x for b in blocks)
    height = max(b.y for b in blocks) - min(b.y for b in blocks)
    axes = (0, 1) if width >= height else (1, 0)
    best = None
    for rank, axis in enumerate(axes):
        for error, first, second in _cuts(blocks, axis, target):
            whole = connected({b.no for b in first}, adjacency) and connected(
                {b.no for b in second}, adjacency
            )
            # A broken half costs more than any imbalance; the longer axis wins a near tie.
            score = (not whole, error + rank * 0.02 * (total / k + 1))
            if best is None or score < best[0]:
                best = (score, first, second)
    return best[1], best[2]


def _bisection(
    blocks: list[Block], low: int, high: int, adjacency: dict[int, set[int]]
) -> list[list[Block]]:
    k = cell_count(sum(b.households for b in blocks), low, high)
    if k == 1:
        return [blocks]
    halves = bisect(blocks, k, adjacency)
    if halves is None:
        return [blocks]
    return [cell for half in halves for cell in _bisection(half, low, high, adjacency)]


def _excess(n: int, low: int, high: int) -> int:
    return max(0, low - n) + max(0, n - high)


def repair(
    cells: list[list[Block]], low: int, high: int, adjacency: dict[int, set[int]], rounds=500
) -> list[list[Block]]:
    """Move blocks across cell edges while that brings cells nearer the bounds, keeping every
    cell in one piece: bisection cuts straight, and a straight cut can miss by one block."""
    cell_of = {b.no: i for i, cell in enumerate(cells) for b in cell}
    members = [{b.no for b in cell} for cell in cells]
    size = [sum(b.households for b in cell) for cell in cells]
    by_no = {b.no: b for cell in cells for b in cell}
    for _ in range(rounds):
        best = None
        for no, here in cell_of.items():
            if len(members[here]) == 1:
                continue
            n = by_no[no].households
            for there in {cell_of[o] for o in adjacency.get(no, ())} - {here}:
                gain = (
                    _excess(size[here], low, high)
                    + _excess(size[there], low, high)
                    - _excess(size[here] - n, low, high)
                    - _excess(size[there] + n, low, high)
                )
                if gain > 0 and (best is None or gain > best[0]):
                    if connected(members[here] - {no}, adjacency):
                        best = (gain, no, here, there)
        if best is None:
            break
        _, no, here, there = best
        members[here].discard(no)
        members[there].add(no)
        cell_of[no] = there
        size[here] -= by_no[no].households
        size[there] += by_no[no].households
    return [[by_no[no] for no in sorted(m)] for m in members if m]


def compact(
    cells: list[list[Block]], low: int, high: int, adjacency: dict[int, set[int]], rounds=2000
) -> list[list[Block]]:
    """Hand an edge block to the neighbouring cell whose centre is nearer, where that breaks no
    bound further and keeps both cells whole. Hartigan's rule for the move makes the sum of
    squared distances to the cell centres fall with every move, so this ends."""
    by_no = {b.no: b for cell in cells for b in cell}
    members = [{b.no for b in cell} for cell in cells]
    cell_of = {no: i for i, m in enumerate(members) for no in m}
    size = [sum(b.households for b in cell) for cell in cells]
    sums = [[sum(by_no[n].x for n in m), sum(by_no[n].y for n in m)] for m in members]

    def cost(no: int, i: int, leaving: bool) -> float:
        n = len(members[i])
        cx, cy = sums[i][0] / n, sums[i][1] / n
        d = (by_no[no].x - cx) ** 2 + (by_no[no].y - cy) ** 2
        return d * n / (n - 1) if leaving else d * n / (n + 1)

    for _ in range(rounds):
        moved = False
        for no in sorted(by_no):
            here = cell_of[no]
            if len(members[here]) == 1:
                continue
            hh = by_no[no].households
            stay = cost(no, here, True)
            for there in sorted({cell_of[o] for o in adjacency.get(no, ())} - {here}):
                before = _excess(size[here], low, high) + _excess(size[there], low, high)
                after = _excess(size[here] - hh, low, high) + _excess(size[there] + hh, low, high)
                if after > before or cost(no, there, False) >= stay * 0.999:
                    continue
                if not connected(members[here] - {no}, adjacency):
                    continue
                members[here].discard(no)
                members[there].add(no)
                cell_of[no] = there
                size[here] -= hh
                size[there] += hh
                for i, sign in ((here, -1), (there, 1)):
                    sums[i][0] += sign * by_no[no].x
                    sums[i][1] += sign * by_no[no].y
                moved = True
                break
        if not moved:
            break
    return [[by_no[no] for no in sorted(m)] for m in members if m]


def divide(
    blocks: list[Block], low: int, high: int, adjacency: dict[int, set[int]]
) -> list[list[Block]]:
    """The blocks grouped into cells whose households fit [low, high] wherever the blocks allow,
    then made more compact without breaking a bound; never a cell in two pieces."""
    cells = repair(_bisection(blocks, low, high, adjacency), low, high, adjacency)
    return mend(compact(cells, low, high, adjacency), adjacency)


def reading_order(items: list[tuple], band: float | None = None) -> list:
    """Keys of (key, x, y, height) items sorted north to south in bands of about one item's
    height, west to east inside a band (grid sequences run 'west to east, north to south')."""
    if not items:
        return []
    heights = sorted(h for *_, h in items)
    band = band or heights[len(heights) // 2] or 1.0
    top = max(y for _, _, y, _ in items)
    return [key for key, *_ in sorted(items, key=lambda i: (round((top - i[2]) / band), i[1]))]
