"""Builders for door-visit tests: a desk writer, tasks issued through the service, the feed."""

from sqlalchemy import select

from gridgov.codes.service import current_codes
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.records.writer import Writer
from gridgov.scope import Principal
from tests import factories as f

STREET = "440303001000"  # the street of f.OWN_CELL
NEIGHBOUR_CELL = "440303001001002"  # the south cell of the same community


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
