"""Approval: new codes, closed cells, lineage, houses, people and workers moved, the change feed,
all in one transaction that a failure or a stale proposal leaves untouched."""

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import text

from gridgov.extensions import db
from gridgov.hierarchy import topology
from gridgov.redraw import approve as approval
from gridgov.stats import service as stats
from tests import factories as f
from tests.redraw import helpers as h
from tests.stats import helpers as sh
from tests.stats.test_statistics import today

EFFECTIVE = "2026-06-01"


def setup_community(client, nx=2, ny=4, per_block=100):
    """The test district; a 2 x 4 lattice of 100-household blocks in community 440303001001;
    two people in a north house; a grid worker on each old cell; street and district staff."""
    f.make_district()
    h.fill_lattice(nx, ny, lambda i, j: per_block)
    street = f.auth_as(client, h.STREET_STAFF, ["440303001000"])
    district = f.auth_as(client, h.DISTRICT_STAFF, [f.DISTRICT])
    north_worker = f.auth_as(client, "grid_worker", [h.NORTH], username="north")
    f.auth_as(client, "grid_worker", [h.SOUTH], username="south")
    house = h.scalar("SELECT code FROM houses WHERE grid_code = :g ORDER BY id LIMIT 1", g=h.NORTH)
    sh.add_person(client, street, 1, house, moved_in="2026-01-15")
    sh.add_person(client, street, 2, house, kind="resident", moved_in="2026-01-15")
    return street, district, north_worker


def snapshot() -> dict:
    """Everything an approval may change, to compare before and after a failed one."""
    queries = {
        "areas": "SELECT code, valid_from, valid_to FROM areas ORDER BY code",
        "houses": "SELECT id, grid_code, updated_at FROM houses ORDER BY id",
        "persons": "SELECT id, grid_code FROM persons ORDER BY id",
        "house_grids": "SELECT house_id, grid_code, valid_from::text, valid_to FROM house_grids "
        "ORDER BY 1, 3",
        "user_areas": "SELECT user_id, area_code FROM user_areas ORDER BY 1, 2",
        "changes": "SELECT count(*) FROM changes",
        "lineage": "SELECT count(*) FROM grid_lineage",
        "proposals": "SELECT id, status, version FROM grid_proposals ORDER BY id",
        "audit": "SELECT count(*) FROM audit_events",
        "stat_pending": "SELECT count(*) FROM stat_pending",
    }
    return {k: db.session.execute(text(q)).all() for k, q in queries.items()}


def test_approval_replaces_the_cells_and_moves_houses_people_and_workers(client):
    street, district, worker = setup_community(client)
    preview = h.propose(client, street, min=250, max=600, roads=h.lattice_roads(2, 4))
    assert sorted(h.households_by_cell(preview).values()) == [400, 400]

    response = h.approve(client, district, preview["id"], effective_date=EFFECTIVE)
    assert response.status_code == 200, response.json
    result = response.json
    north_new, south_new = h.COMMUNITY + "003", h.COMMUNITY + "004"
    assert result["closed"] == [h.NORTH, h.SOUTH]
    # Each new cell is an old one redrawn whole: what they share is the old cell's whole area, a
    # 0.01 degree square (about 1.03 km x 1.11 km at this latitude), measured here in plain SQL.
    m2 = {
        c: h.scalar("SELECT ST_Area(geom::geography) FROM areas WHERE code = :c", c=c)
        for c in (h.NORTH, h.SOUTH)
    }
    assert m2 == pytest.approx({h.NORTH: 1.14e6, h.SOUTH: 1.14e6}, rel=0.01)
    assert [c["code"] for c in result["created"]] == [north_new, south_new]
    assert result["lineage"] == [
        {
            "old": h.NORTH,
            "new": north_new,
            "households": 400,
            "share": 1.0,
            "area_m2": pytest.approx(m2[h.NORTH], rel=1e-6),
        },
        {
            "old": h.SOUTH,
            "new": south_new,
            "households": 400,
            "share": 1.0,
            "area_m2": pytest.approx(m2[h.SOUTH], rel=1e-6),
        },
    ]
    assert result["moved"] == {"houses": 800, "people": 802}  # one in each house, two more
    assert {(w["username"], w["to"]) for w in result["workers"]} == {
        ("north", north_new),
        ("south", south_new),
    }
    assert result["flagged"] == []

    assert h.scalar("SELECT valid_to::text FROM areas WHERE code = :c", c=h.NORTH) == EFFECTIVE
    assert h.scalar("SELECT count(*) FROM houses WHERE grid_code = :c", c=north_new) == 400
    registered = "FROM persons WHERE name <> '住户'"  # the two added through the API
    assert h.scalar(f"SELECT count(DISTINCT grid_code) {registered}") == 1
    assert h.scalar(f"SELECT min(grid_code) {registered}") == north_new
    assert topology.check(h.COMMUNITY, f.TOLERANCE) == []
    assert stats.verify(f.DISTRICT, today()) == []
    audited = h.scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'approve_grid_proposal' "
        "AND entity_key = :key",
        key=str(preview["id"]),
    )
    assert audited == 1

    # The worker's scope moved at once: they read the new cell, no longer the old one.
    assert client.get(f"/api/v1/grids/{north_new}", headers=worker).status_code == 200
    assert client.get(f"/api/v1/grids/{h.NORTH}", headers=worker).status_code == 404
    # Devices hear of it: a tombstone in the cell each record left, the record in its new cell.
    feed = db.session.execute(
        text("SELECT grid_code, record_type, op, count(*) FROM changes GROUP BY 1, 2, 3")
    ).all()
    counts = {(g, t, op): n for g, t, op, n in feed}
    assert counts[(h.NORTH, "house", "left")] == 400
    assert counts[(north_new, "house", "upsert")] == 400
    assert counts[(h.NORTH, "person", "left")] == counts[(north_new, "person", "upsert")] == 402
    assert counts[(south_new, "house", "upsert")] == 400
    # What the north worker's device is served: everything now in their new cell, nothing else.
    served = client.get("/api/v1/sync/changes", query_string={"limit": 5000}, headers=worker)
    assert served.status_code == 200 and served.json["more"] is False
    got = Counter((c["grid"], c["type"], c["op"]) for c in served.json["changes"])
    assert got == {(north_new, "house", "upsert"): 400, (north_new, "person", "upsert"): 402}
    again = h.approve(client, district, preview["id"], effective_date=EFFECTIVE)
    assert again.status_code == 409 and again.json["code"] == "proposal_closed"


def test_a_worker_whose_cell_splits_evenly_is_moved_and_flagged(client):
    street, district, _ = setup_community(client)
    preview = h.propose(client, street, min=150, max=250, roads=h.lattice_roads(2, 4))
    assert sorted(h.households_by_cell(preview).values()) == [200] * 4

    result = h.approve(client, district, preview["id"], effective_date=EFFECTIVE).json
    assert [c["code"] for c in result["created"]] == [
        h.COMMUNITY + s for s in ("003", "004", "005", "006")
    ]
    north = next(w for w in result["workers"] if w["username"] == "north")
    assert north["to"] == h.COMMUNITY + "003" and north["flagged"]
    assert {w["username"] for w in result["flagged"]} == {"north", "south"}
    shares = {(r["old"], r["new"]): r["share"] for r in result["lineage"]}
    assert shares[(h.NORTH, h.COMMUNITY + "003")] == 0.5
    assert stats.verify(f.DISTRICT, today()) == []


def test_sequence_numbers_are_never_reused_across_redraws(client):
    street, district, _ = setup_community(client)
    first = h.propose(client, street, min=250, max=600, roads=h.lattice_roads(2, 4))
    assert h.approve(client, district, first["id"], effective_date=EFFECTIVE).status_code == 200
    second = h.propose(client, street, min=150, max=250, roads=h.lattice_roads(2, 4))
    result = h.approve(client, district, second["id"]).json
    assert [c["code"][-3:] for c in result["created"]] == ["005", "006", "007", "008"]
    assert result["closed"] == [h.COMMUNITY + "003", h.COMMUNITY + "004"]
    assert result["effective_date"] == today().isoformat()
    assert stats.verify(f.DISTRICT, today()) == []


def test_a_stale_proposal_is_refused_and_changes_nothing(client):
    street, district, _ = setup_community(client)
    preview = h.propose(client, street, min=250, max=600, roads=h.lattice_roads(2, 4))
    h.add_houses(3, *h.block_centre(2, 4, 0, 0))
    before = snapshot()

    response = h.approve(client, district, preview["id"], effective_date=EFFECTIVE)
    assert response.status_code == 409
    assert response.json["code"] == "stale_proposal" and h.COMMUNITY in response.json["detail"]
    assert snapshot() == before
    got = client.get(f"/api/v1/grids/proposals/{preview['id']}", headers=street).json
    assert got["stale"] is True


def test_a_failure_halfway_through_an_approval_changes_nothing(client, monkeypatch):
    street, _, _ = setup_community(client)
    preview = h.propose(client, street, min=250, max=600, roads=h.lattice_roads(2, 4))
    before = snapshot()

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away after the houses moved")

    monkeypatch.setattr(approval, "rebind_workers", fail)
    settings = approval.Settings(today=today(), tolerance_m2=f.TOLERANCE)
    with pytest.raises(RuntimeError):
        approval.approve(None, preview["id"], date(2026, 6, 1), settings)
    db.session.remove()
    assert snapshot() == before
    assert topology.check(h.COMMUNITY, f.TOLERANCE) == []


def test_street_staff_approve_only_where_the_district_allows_it(client, app, monkeypatch):
    street, _, _ = setup_community(client)
    preview = h.propose(client, street, min=250, max=600, roads=h.lattice_roads(2, 4))
    refused = h.approve(client, street, preview["id"])
    assert refused.status_code == 403 and refused.json["code"] == "approval_not_allowed"
    monkeypatch.setitem(app.config, "GRIDGOV_STREET_MAY_APPROVE", True)
    assert h.approve(client, street, preview["id"]).status_code == 200


def test_an_effective_date_in_the_future_or_before_the_old_cells_is_refused(client):
    street, district, _ = setup_community(client)
    preview = h.propose(client, street, min=250, max=600, roads=h.lattice_roads(2, 4))
    for day in (date(today().year + 1, 1, 1).isoformat(), "2023-12-31"):
        response = h.approve(client, district, preview["id"], effective_date=day)
        assert response.status_code == 422, response.json
        assert response.json["errors"][0]["field"] == "effective_date"


def test_a_cell_doubled_by_a_new_compound_is_split_alone_through_the_same_path(client):
    street, district, _ = setup_community(client)
    h.add_houses(200, *h.block_centre(2, 4, 0, 0), compound="新建小区")
    preview = h.propose(
        client, street, min=150, max=350, cells=[h.NORTH], roads=h.lattice_roads(2, 4)
    )
    assert preview["redrawn"] == [h.NORTH]
    assert [k["code"] for k in preview["kept"]] == [h.SOUTH]
    assert sorted(h.households_by_cell(preview).values()) == [300, 300]
    assert {m["grid"] for cell in preview["moves"] for m in cell["from"]} == {h.NORTH}

    result = h.approve(client, district, preview["id"], effective_date=EFFECTIVE).json
    assert result["closed"] == [h.NORTH]
    assert [c["code"] for c in result["created"]] == [h.COMMUNITY + "003", h.COMMUNITY + "004"]
    assert h.scalar("SELECT valid_to FROM areas WHERE code = :c", c=h.SOUTH) is None
    assert h.scalar("SELECT count(*) FROM houses WHERE grid_code = :c", c=h.SOUTH) == 400
    assert topology.check(h.COMMUNITY, f.TOLERANCE) == []
    assert stats.verify(f.DISTRICT, today()) == []
    unknown = client.post(
        "/api/v1/grids/proposals",
        json={"community": h.COMMUNITY, "cells": [h.NORTH]},
        headers=street,
    )
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "cells"
