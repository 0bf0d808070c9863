"""Reserved building numbers: listed, released, expired; a released number is never reissued
and no longer codes a house."""

from datetime import timedelta

from sqlalchemy import update

from gridgov.extensions import db
from gridgov.houses.models import Building

COMMUNITY = "440303001001"


def _reserve(client, headers, count=2) -> list[int]:
    response = client.post(
        "/api/v1/sync/building-numbers",
        json={"device_id": "pda-1", "community": COMMUNITY, "count": count},
        headers=headers,
    )
    assert response.status_code == 201, response.json
    return response.json["numbers"]


def test_a_worker_lists_and_releases_their_reservations(client, worker):
    first, second = _reserve(client, worker)
    listed = client.get("/api/v1/sync/building-numbers", headers=worker).json
    assert [(r["number"], r["digits"], r["device_id"]) for r in listed] == [
        (first, f"{first:05d}", "pda-1"),
        (second, f"{second:05d}", "pda-1"),
    ]
    gone = client.delete(f"/api/v1/sync/building-numbers/{COMMUNITY}/{first}", headers=worker)
    assert gone.status_code == 204
    listed = client.get("/api/v1/sync/building-numbers", headers=worker).json
    assert [r["number"] for r in listed] == [second]
    again = client.delete(f"/api/v1/sync/building-numbers/{COMMUNITY}/{first}", headers=worker)
    assert (again.status_code, again.json["code"]) == (404, "unknown_reservation")
    # Never handed out again.
    assert _reserve(client, worker, 1) == [second + 1]


def test_old_unused_reservations_expire(client, worker, cli):
    first, second = _reserve(client, worker)
    db.session.execute(
        update(Building)
        .where(Building.number == first)
        .values(reserved_at=Building.reserved_at - timedelta(days=40))
    )
    db.session.commit()
    result = cli.invoke(args=["sync", "expire-reservations"])
    assert "1 reservation(s) older than 30 days released" in result.output
    listed = client.get("/api/v1/sync/building-numbers", headers=worker).json
    assert [r["number"] for r in listed] == [second]
