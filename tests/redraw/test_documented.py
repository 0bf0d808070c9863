"""The redraw responses are documented field by field, and what is served keeps to it."""

from tests.openapi import response_schema, violations
from tests.redraw import helpers as h
from tests.redraw.test_approve import EFFECTIVE, setup_community


def test_every_redraw_response_keeps_to_its_documented_schema(client):
    spec = client.get("/api/v1/openapi.json").json
    street, district, _ = setup_community(client)
    preview = h.propose(client, street, min=250, max=600, roads=h.lattice_roads(2, 4))
    proposal = "/api/v1/grids/proposals/{proposal_id}"
    assert violations(spec, "/api/v1/grids/proposals", preview, "post", "201") == []
    served = client.get(
        f"/api/v1/grids/proposals/{preview['id']}?block_geometry=true", headers=street
    )
    assert violations(spec, proposal, served.json) == []
    listed = client.get(f"/api/v1/grids/proposals?community={h.COMMUNITY}", headers=street)
    assert violations(spec, "/api/v1/grids/proposals", listed.json) == []
    edited = h.edit(client, street, preview["id"], op="split", cell=1)
    assert edited.status_code == 200, edited.json
    assert violations(spec, proposal + "/edits", edited.json, "post") == []
    approved = h.approve(client, district, preview["id"], effective_date=EFFECTIVE)
    assert approved.status_code == 200, approved.json
    assert violations(spec, proposal + "/approve", approved.json, "post") == []
    links = client.get(f"/api/v1/grids/crosswalk?community={h.COMMUNITY}", headers=street)
    assert links.json["links"] and violations(spec, "/api/v1/grids/crosswalk", links.json) == []
    # Exact, not a bag of anything: a key the document does not name is a violation.
    assert violations(spec, "/api/v1/grids/crosswalk", {**links.json, "extra": 1}) != []
    view = response_schema(spec, proposal)
    assert view["additionalProperties"] is False and "summary" in view["required"]
