"""GET /codes and /codes/{table}: the code tables in force with their Chinese labels."""

import pytest
from sqlalchemy import delete

from gridgov.codes import service
from gridgov.codes.models import Code
from gridgov.extensions import db
from tests import factories as f


def test_every_table_comes_with_its_labels_and_version(client):
    f.make_district()
    headers = f.auth_as(client, "street_staff", ["440303001000"])
    body = client.get("/api/v1/codes", headers=headers).json
    sex = body["tables"]["sex"]
    assert {"code": "1", "label": "男"} in sex["codes"]
    assert sex["version"] == 1
    assert "hazard" in body["tables"] and "house_use" in body["tables"]


@pytest.fixture
def colours():
    """A table of its own (the bundled tables are loaded once for the whole suite)."""
    service.load("table,code,label\ntest_colour,1,红\ntest_colour,2,绿\n")
    yield
    db.session.execute(delete(Code).where(Code.table_name == "test_colour"))
    db.session.commit()


def test_a_relabelled_code_raises_the_tables_version_and_shows_the_new_label(client, colours):
    f.make_district()
    headers = f.auth_as(client, "grid_worker", [f.OWN_CELL])
    service.load("table,code,label\ntest_colour,2,青\n")
    body = client.get("/api/v1/codes/test_colour", headers=headers).json
    assert [(c["code"], c["label"], c["version"]) for c in body["codes"]] == [("2", "青", 2)]
    assert body["version"] == 2  # and code 1, not named in the file, is closed


def test_an_unknown_table_is_a_404_and_no_token_is_a_401(client):
    f.make_district()
    headers = f.auth_as(client, "grid_worker", [f.OWN_CELL])
    response = client.get("/api/v1/codes/nonesuch", headers=headers)
    assert response.status_code == 404 and response.json["code"] == "unknown_code_table"
    assert client.get("/api/v1/codes").status_code == 401
