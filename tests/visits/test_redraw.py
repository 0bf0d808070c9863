"""An open door-visit task follows its house when a grid redraw moves the house to a new cell:
the devices of the new cell hear of it, the old cell's read a tombstone."""

from sqlalchemy import text

from gridgov.extensions import db
from gridgov.visits.models import VisitTask
from tests.redraw import helpers as h
from tests.redraw.test_approve import EFFECTIVE, setup_community
from tests.visits.helpers import issue_via_api


def test_an_open_task_moves_with_its_house_into_the_new_cell(client):
    street, district, worker = setup_community(client)
    house = h.scalar("SELECT code FROM houses WHERE grid_code = :g ORDER BY id LIMIT 1", g=h.NORTH)
    task_id = issue_via_api(client, street, house)["id"]
    done_id = issue_via_api(client, street, house, "再次抽查")["id"]
    withdrawn = client.post(
        f"/api/v1/visits/{done_id}/withdraw", json={"reason": "误派任务"}, headers=street
    )
    assert withdrawn.status_code == 200
    preview = h.propose(client, street, min=250, max=600, roads=h.lattice_roads(2, 4))
    response = h.approve(client, district, preview["id"], effective_date=EFFECTIVE)
    assert response.status_code == 200, response.json
    north_new = h.COMMUNITY + "003"
    db.session.expire_all()
    assert db.session.get(VisitTask, task_id).grid_code == north_new
    assert db.session.get(VisitTask, done_id).grid_code == h.NORTH  # closed tasks stay put
    feed = db.session.execute(
        text("SELECT grid_code, op FROM changes WHERE record_type = 'visit' AND record_key = :k"),
        {"k": str(task_id)},
    ).all()
    assert (h.NORTH, "left") in feed and (north_new, "upsert") in feed
    served = client.get("/api/v1/sync/changes", query_string={"limit": 5000}, headers=worker)
    visits = [(c["key"], c["op"]) for c in served.json["changes"] if c["type"] == "visit"]
    assert visits == [(str(task_id), "upsert")]
    assert client.get(f"/api/v1/visits/{task_id}", headers=worker).status_code == 200
