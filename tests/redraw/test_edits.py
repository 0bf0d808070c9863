"""Edits to a draft: move blocks, merge, split; counts update and every edit is checked again."""

from tests import factories as f
from tests.redraw import helpers as h


def lattice_proposal(client):
    """A 2 x 4 lattice of 100-household blocks in 4 cells of 2 blocks (one row each)."""
    f.make_district()
    headers = f.auth_as(client, h.STREET_STAFF, ["440303001000"])
    h.fill_lattice(2, 4, lambda i, j: 100)
    preview = h.propose(client, headers, min=150, max=250, roads=h.lattice_roads(2, 4))
    assert h.households_by_cell(preview) == {1: 200, 2: 200, 3: 200, 4: 200}
    return headers, preview


def blocks_of(preview, cell: int) -> list[int]:
    return [b["block"] for b in preview["blocks"] if b["cell"] == cell]


def test_moving_a_block_to_a_neighbouring_cell_updates_the_counts(client):
    headers, preview = lattice_proposal(client)
    block = blocks_of(preview, 1)[0]
    response = h.edit(client, headers, preview["id"], op="move_blocks", blocks=[block], to=2)
    assert response.status_code == 200, response.json
    after = response.json
    assert h.households_by_cell(after) == {1: 100, 2: 300, 3: 200, 4: 200}
    assert after["version"] == preview["version"] + 1
    assert {v["cell"] for v in after["violations"]} == {1, 2}
    assert sum(m["houses"] for m in after["moves"] if m["cell"] == 2 for m in m["from"]) == 300


def test_a_move_that_would_break_a_cell_in_two_is_refused(client):
    headers, preview = lattice_proposal(client)
    far = blocks_of(preview, 4)[0]
    response = h.edit(client, headers, preview["id"], op="move_blocks", blocks=[far], to=1)
    assert response.status_code == 422
    assert response.json["code"] == "not_contiguous" and "cell 1" in response.json["detail"]
    unchanged = client.get(f"/api/v1/grids/proposals/{preview['id']}", headers=headers).json
    assert h.households_by_cell(unchanged) == h.households_by_cell(preview)
    assert unchanged["version"] == preview["version"]


def test_a_move_to_a_cell_that_does_not_exist_names_the_cell(client):
    headers, preview = lattice_proposal(client)
    response = h.edit(client, headers, preview["id"], op="move_blocks", blocks=[1], to=9)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "to" and "cell 9" in response.json["detail"]
    unknown = h.edit(client, headers, preview["id"], op="move_blocks", blocks=[99], to=1)
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "blocks"


def test_neighbouring_cells_merge_and_distant_ones_do_not(client):
    headers, preview = lattice_proposal(client)
    far = h.edit(client, headers, preview["id"], op="merge", cells=[1, 3])
    assert far.status_code == 422 and far.json["code"] == "not_contiguous"
    merged = h.edit(client, headers, preview["id"], op="merge", cells=[1, 2])
    assert merged.status_code == 200, merged.json
    assert h.households_by_cell(merged.json) == {1: 400, 3: 200, 4: 200}


def test_a_cell_splits_in_two_and_a_single_block_cannot(client):
    headers, preview = lattice_proposal(client)
    split = h.edit(client, headers, preview["id"], op="split", cell=1)
    assert split.status_code == 200, split.json
    assert h.households_by_cell(split.json) == {1: 100, 2: 200, 3: 200, 4: 200, 5: 100}
    assert all(c["properties"]["contiguous"] for c in split.json["cells"]["features"])
    single = h.edit(client, headers, preview["id"], op="split", cell=5)
    assert single.status_code == 422 and "single block" in single.json["detail"]


def test_edits_leave_audit_rows_and_an_approved_proposal_cannot_be_edited(client):
    headers, preview = lattice_proposal(client)
    assert h.edit(client, headers, preview["id"], op="merge", cells=[3, 4]).status_code == 200
    district = f.auth_as(client, h.DISTRICT_STAFF, [f.DISTRICT])
    assert h.approve(client, district, preview["id"]).status_code == 200
    closed = h.edit(client, headers, preview["id"], op="split", cell=3)
    assert closed.status_code == 409 and closed.json["code"] == "proposal_closed"
    actions = h.scalar(
        "SELECT string_agg(action, ',' ORDER BY id) FROM audit_events "
        "WHERE entity_type = 'grid_proposal'"
    )
    assert actions == "propose_grids,edit_grid_proposal,approve_grid_proposal"
