"""Builders for door-visit tests: a desk writer, tasks issued through the service, the feed."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from gridgov.codes.service import current_codes
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.records.writer import Writer
from gridgov.scope import Principal
from tests import factories as f

STREET = "440303001000"  # the street of f.OWN_CELL
NEIGHBOUR_CELL = "440303001001002"  # the south cell of the same community
NEAR = (114.0052, 22.5151)  # about 25 m from the house at f.OWN_POINT
FAR = (114.008, 22.515)  # about 310 m from it, still in the same cell


def desk_writer(app, username: str = "desk") -> Writer:
    user_id = f.make_user(username, "street_staff", [STREET])
    principal = Principal(user_id, username, "street_staff", ((STREET, STREET[:9]),))
    return Writer(principal, None, app.extensions["vault"], current_codes())


def house_id(code: str) -> int:
    return db.session.scalar(select(House.id).where(House.code == code))


def feed(client, headers, cursor=None) -> dict:
    url = "/api/v1/sync/changes" + (f"?cursor={cursor}" if cursor else "")
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def visits_in(page: dict) -> list[tuple[str, str]]:
    return [(c["key"], c["op"]) for c in page["changes"] if c["type"] == "visit"]


def now() -> datetime:
    return datetime.now(UTC)


def result_record(task_id: int, result: str = "confirmed", position=NEAR, captured_at=None, **data):
    """A door-visit result as a device uploads it, captured now near the house by default."""
    env = {
        "uuid": str(uuid.uuid4()),
        "type": "visit",
        "op": "result",
        "captured_at": (captured_at or now()).isoformat(),
        "data": {"task_id": task_id, "result": result, **data},
    }
    if position is not None:
        env["position"] = {"lon": position[0], "lat": position[1], "crs": "wgs84"}
    return env


def issue_via_api(client, headers, house_code: str, reason: str = "抽查入户") -> dict:
    response = client.post(
        "/api/v1/visits", json={"house_code": house_code, "reason": reason}, headers=headers
    )
    assert response.status_code == 201, response.json
    return response.json
