"""Issue 12, defect 6: a proposal that can be approved as made, or mended by an edit; the
neighbours in the preview; edits from the command line; one definition of a household; names in
the community's own pattern."""

import json

from sqlalchemy import select, text

from gridgov.extensions import db
from gridgov.hierarchy.models import Area
from gridgov.redraw import partition
from tests import factories as f
from tests.redraw import helpers as h
from tests.redraw.test_edits import blocks_of, lattice_proposal


def test_the_preview_lists_each_cells_neighbours(client):
    _, preview = lattice_proposal(client)  # four rows of two blocks, north to south
    neighbours = {x["id"]: x["properties"]["neighbours"] for x in preview["cells"]["features"]}
    assert neighbours == {1: [2], 2: [1, 3], 3: [2, 4], 4: [3]}


def test_a_cell_in_two_pieces_is_mended_by_splitting_it_into_its_pieces(client):
    headers, preview = lattice_proposal(client)
    stray = blocks_of(preview, 1)[0]
    db.session.execute(
        text("UPDATE grid_proposal_blocks SET cell = 3 WHERE proposal_id = :p AND block_no = :b"),
        {"p": preview["id"], "b": stray},
    )
    db.session.commit()
    broken = client.get(f"/api/v1/grids/proposals/{preview['id']}", headers=headers).json
    assert [c["properties"]["parts"] for c in broken["cells"]["features"]] == [1, 1, 2, 1]
    split = h.edit(client, headers, preview["id"], op="split", cell=3)
    assert split.status_code == 200, split.json
    cells = {c["id"]: c["properties"] for c in split.json["cells"]["features"]}
    assert all(c["contiguous"] for c in cells.values())
    assert cells[5]["blocks"] == [stray] and 1 in cells[5]["neighbours"]
    merged = h.edit(client, headers, preview["id"], op="merge", cells=[1, 5])
    assert merged.status_code == 200, merged.json
    assert h.households_by_cell(merged.json) == {1: 200, 2: 200, 3: 200, 4: 200}


def test_the_partitioner_mends_a_cell_left_in_two_pieces():
    # a row of five blocks, 1-2-3-4-5; cell A holds 1 and 5 (two pieces), cell B holds 2-4
    blocks = {n: partition.Block(n, n * 100.0, 0.0, 100) for n in range(1, 6)}
    adjacency = {n: {m for m in (n - 1, n + 1) if m in blocks} for n in blocks}
    cells = [[blocks[1], blocks[5]], [blocks[2], blocks[3]], [blocks[4]]]
    mended = partition.mend(cells, adjacency)
    groups = [{b.no for b in cell} for cell in mended]
    assert all(partition.connected(g, adjacency) for g in groups)
    assert sorted(map(sorted, groups)) == [[1], [2, 3], [4, 5]]  # 5 joins the smaller neighbour


def test_vacant_houses_move_with_their_block_but_are_not_households(client):
    f.make_district()
    headers = f.auth_as(client, h.STREET_STAFF, ["440303001000"])
    h.fill_lattice(2, 4, lambda i, j: 100)
    h.add_houses(300, *h.block_centre(2, 4, 0, 0), compound="苑0-0", occupants=0)
    preview = h.propose(client, headers, min=150, max=250, roads=h.lattice_roads(2, 4))
    assert preview["summary"]["households"] == 800  # as statistics count them: occupied houses
    stats = client.get(
        f"/api/v1/stats/{h.COMMUNITY}", query_string={"measures": "households"}, headers=headers
    )
    assert stats.json["total"]["households"] == 800
    moved = sum(m["houses"] for m in preview["moves"] for m in m["from"])
    assert moved == 1100  # every house is placed, vacant or not


def test_a_proposal_is_shown_and_edited_from_the_command_line(client, cli):
    headers, preview = lattice_proposal(client)
    shown = cli.invoke(args=["grids", "proposal", str(preview["id"])])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["summary"]["cells"] == 4
    merged = cli.invoke(args=["grids", "edit", "merge", str(preview["id"]), "1", "2"])
    assert merged.exit_code == 0, merged.output
    assert h.households_by_cell(json.loads(merged.output)) == {1: 400, 3: 200, 4: 200}
    block = blocks_of(json.loads(merged.output), 1)[0]
    moved = cli.invoke(
        args=[
            "grids",
            "edit",
            "move-blocks",
            str(preview["id"]),
            "--block",
            str(block),
            "--to",
            "3",
        ]
    )
    assert moved.exit_code == 1 and "not in one piece" in moved.output
    split = cli.invoke(args=["grids", "edit", "split", str(preview["id"]), "1"])
    assert split.exit_code == 0, split.output
    assert json.loads(split.output)["summary"]["cells"] == 4


def test_new_cells_are_named_in_the_pattern_of_the_community(client):
    headers, preview = lattice_proposal(client)
    db.session.execute(
        text("UPDATE areas SET name = '社区001第' || right(code, 1) || '网格' WHERE level = 'grid'")
    )
    db.session.commit()
    district = f.auth_as(client, h.DISTRICT_STAFF, [f.DISTRICT])
    assert h.approve(client, district, preview["id"]).status_code == 200
    names = db.session.scalars(
        select(Area.name)
        .where(Area.parent_code == h.COMMUNITY, Area.valid_to.is_(None))
        .order_by(Area.code)
    ).all()
    assert names == ["社区001第3网格", "社区001第4网格", "社区001第5网格", "社区001第6网格"]


def test_a_road_file_that_names_no_coordinate_system_must_be_given_crs(cli, tmp_path):
    f.make_district()
    h.fill_lattice(2, 2, lambda i, j: 200)
    layer = h.lattice_roads(2, 2)
    del layer["crs"]
    roads = tmp_path / "roads.geojson"
    roads.write_text(json.dumps(layer), encoding="utf-8")
    args = ["grids", "propose", h.COMMUNITY, "--roads", str(roads), "--min", "300"]
    refused = cli.invoke(args=args)
    assert refused.exit_code == 1 and "give --crs" in refused.output
    assert cli.invoke(args=[*args, "--crs", "wgs84"]).exit_code == 0
