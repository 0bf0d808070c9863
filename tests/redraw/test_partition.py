"""The partition on its own: how many cells, cuts that keep halves whole, reading order."""

from gridgov.redraw import partition as p


def lattice(nx: int, ny: int, households: int = 100) -> tuple[list[p.Block], dict]:
    blocks = [
        p.Block(i * ny + j, i * 100.0, -j * 100.0, households) for i in range(nx) for j in range(ny)
    ]
    adjacency = {b.no: set() for b in blocks}
    for b in blocks:
        for o in blocks:
            if abs(b.x - o.x) + abs(b.y - o.y) == 100.0:
                adjacency[b.no].add(o.no)
    return blocks, adjacency


def test_the_cell_count_keeps_every_cell_within_the_bounds_when_it_can():
    assert p.cell_count(3200, 300, 500) == 8
    assert p.cell_count(800, 150, 250) == 4
    assert p.cell_count(200, 300, 500) == 1  # too few: one cell, reported below the minimum
    assert p.cell_count(550, 300, 500) == 2  # 275 each misses by less than 550 would
    assert p.cell_count(0, 300, 500) == 1


def test_a_lattice_divides_into_equal_whole_cells():
    blocks, adjacency = lattice(4, 8)
    cells = p.divide(blocks, 300, 500, adjacency)
    assert sorted(sum(b.households for b in c) for c in cells) == [400] * 8
    assert all(p.connected({b.no for b in c}, adjacency) for c in cells)


def test_a_single_block_cannot_be_bisected():
    blocks, adjacency = lattice(1, 1, households=900)
    assert p.bisect(blocks, 2, adjacency) is None
    assert p.divide(blocks, 300, 500, adjacency) == [blocks]


def test_reading_order_runs_west_to_east_then_north_to_south():
    items = [("se", 10, 0, 5), ("nw", 0, 10, 5), ("sw", 0, 0.4, 5), ("ne", 10, 10.3, 5)]
    assert p.reading_order(items) == ["nw", "ne", "sw", "se"]
