"""GET /codes and /codes/{table}: the code tables in force with their Chinese labels."""

from gridgov.codes import service
from tests import factories as f


def test_every_table_comes_with_its_labels_and_version(client):
    f.make_district()
    headers = f.auth_as(client, "street_staff", ["440303001000"])
    body = client.get("/api/v1/codes", headers=headers).json
    sex = body["tables"]["sex"]
    assert {"code": "1", "label": "男"} in sex["codes"]
    assert sex["version"] == 1
    assert "hazard" in body["tables"] and "house_use" in body["tables"]


def test_a_relabelled_code_raises_the_tables_version_and_shows_the_new_label(client):
    f.make_district()
    headers = f.auth_as(client, "grid_worker", [f.OWN_CELL])
    service.load("table,code,label\nsex,9,未说明性别\n")
    body = client.get("/api/v1/codes/sex", headers=headers).json
    nine = next(c for c in body["codes"] if c["code"] == "9")
    assert nine["label"] == "未说明性别" and nine["version"] == 2
    assert body["version"] == 2
    assert "0" not in {c["code"] for c in body["codes"]}  # closed: not named in the file


def test_an_unknown_table_is_a_404_and_no_token_is_a_401(client):
    f.make_district()
    headers = f.auth_as(client, "grid_worker", [f.OWN_CELL])
    response = client.get("/api/v1/codes/nonesuch", headers=headers)
    assert response.status_code == 404 and response.json["code"] == "unknown_code_table"
    assert client.get("/api/v1/codes").status_code == 401
