"""History across a redraw: statistics as of an earlier day use the old cells, and the crosswalk
gives old -> new with shares."""

from tests import factories as f
from tests.redraw import helpers as h
from tests.redraw.test_approve import EFFECTIVE, setup_community


def populations(client, headers, as_of=None) -> dict:
    params = {"by": "grid", "measures": "population,houses"}
    if as_of:
        params["as_of"] = as_of
    response = client.get(f"/api/v1/stats/{h.COMMUNITY}", query_string=params, headers=headers)
    assert response.status_code == 200, response.json
    return {c["code"]: c["values"] for c in response.json["children"]}


def test_statistics_before_a_redraw_use_the_old_cells_and_after_it_the_new(client):
    street, district, _ = setup_community(client)
    preview = h.propose(client, street, min=150, max=250, roads=h.lattice_roads(2, 4))
    assert h.approve(client, district, preview["id"], effective_date=EFFECTIVE).status_code == 200
    new = [h.COMMUNITY + s for s in ("003", "004", "005", "006")]

    before = populations(client, street, "2026-03-01")
    assert before == {
        h.NORTH: {"population": 402, "houses": 400},  # one in each house, two more in one
        h.SOUTH: {"population": 400, "houses": 400},
    }
    after = populations(client, street)
    assert sorted(after) == new
    assert [after[c]["houses"] for c in new] == [200] * 4
    assert after[new[0]]["population"] == 202


def test_the_crosswalk_links_each_old_cell_to_its_new_cells_with_shares(client):
    street, district, worker = setup_community(client)
    preview = h.propose(client, street, min=150, max=250, roads=h.lattice_roads(2, 4))
    h.approve(client, district, preview["id"], effective_date=EFFECTIVE)

    response = client.get(
        "/api/v1/grids/crosswalk", query_string={"community": h.COMMUNITY}, headers=street
    )
    assert response.status_code == 200, response.json
    links = [(x["old"], x["new"], x["households"], x["share"]) for x in response.json["links"]]
    c = h.COMMUNITY
    assert links == [
        (h.NORTH, c + "003", 200, 0.5),
        (h.NORTH, c + "004", 200, 0.5),
        (h.SOUTH, c + "005", 200, 0.5),
        (h.SOUTH, c + "006", 200, 0.5),
    ]
    assert {x["effective_date"] for x in response.json["links"]} == {EFFECTIVE}
    other = f.auth_as(client, h.STREET_STAFF, ["440303002000"], username="east")
    refused = client.get(
        "/api/v1/grids/crosswalk", query_string={"community": h.COMMUNITY}, headers=other
    )
    # Beside their street: not found, as if the community did not exist.
    assert (refused.status_code, refused.json["code"]) == (404, "unknown_area")
    assert (
        client.get(
            "/api/v1/grids/crosswalk", query_string={"community": h.COMMUNITY}, headers=worker
        ).status_code
        == 403
    )
