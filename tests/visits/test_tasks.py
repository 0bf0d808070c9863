"""Door-visit tasks issued and withdrawn through the service reach the devices of the house's
cell through the change feed, and no other cell's."""

from sqlalchemy import select

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.visits import service as visits
from gridgov.visits.models import VisitTask
from tests import factories as f
from tests.visits.helpers import NEIGHBOUR_CELL, desk_writer, feed, house_id, visits_in


def test_an_issued_task_appears_in_the_feed_of_its_cell_and_not_of_the_neighbouring_one(
    app, client, worker, house
):
    neighbour = f.auth_as(client, "grid_worker", [NEIGHBOUR_CELL], username="li")
    start = feed(client, worker)["cursor"]
    w = desk_writer(app)
    task_id = visits.issue(w, house_id(house), "house_check", house_id(house), "抽查入户")
    db.session.commit()
    page = feed(client, worker, start)
    assert visits_in(page) == [(str(task_id), "upsert")]
    [change] = [c for c in page["changes"] if c["type"] == "visit"]
    assert change["record"]["house"] == house and change["record"]["state"] == "open"
    assert change["record"]["reason"] == "抽查入户" and change["grid"] == f.OWN_CELL
    assert visits_in(feed(client, neighbour)) == []


def test_a_withdrawn_task_leaves_the_feed_as_a_tombstone_and_is_audited(app, client, worker, house):
    w = desk_writer(app)
    task_id = visits.issue(w, house_id(house), "house_check", house_id(house), "抽查入户")
    db.session.commit()
    cursor = feed(client, worker)["cursor"]
    visits.withdraw(task_id, w.principal.user_id, "住户已搬离")
    db.session.commit()
    assert visits_in(feed(client, worker, cursor)) == [(str(task_id), "delete")]
    task = db.session.get(VisitTask, task_id)
    assert (task.state, task.withdrawn_reason) == ("withdrawn", "住户已搬离")
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "visit").order_by(AuditEvent.id)
    ).all()
    assert actions == ["issue_visit", "withdraw_visit"]


def test_a_task_read_from_the_feed_before_its_withdrawal_reads_as_left(app, client, worker, house):
    start = feed(client, worker)["cursor"]
    w = desk_writer(app)
    task_id = visits.issue(w, house_id(house), "house_check", house_id(house), "抽查入户")
    visits.withdraw(task_id, w.principal.user_id, "误派")
    db.session.commit()
    key = str(task_id)
    assert visits_in(feed(client, worker, start)) == [(key, "left"), (key, "delete")]


def test_a_device_s_first_sync_holds_the_open_tasks_of_its_cells_only(app, client, worker, house):
    w = desk_writer(app)
    kept = visits.issue(w, house_id(house), "house_check", house_id(house), "抽查入户")
    gone = visits.issue(w, house_id(house), "house_check", house_id(house), "再次抽查")
    visits.withdraw(gone, w.principal.user_id, "误派")
    db.session.commit()
    first = client.get("/api/v1/sync/initial", headers=worker).json
    assert [v["id"] for v in first["visits"]] == [kept]
    neighbour = f.auth_as(client, "grid_worker", [NEIGHBOUR_CELL], username="li")
    assert client.get("/api/v1/sync/initial", headers=neighbour).json["visits"] == []
