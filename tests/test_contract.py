"""The contract a second team builds against: the OpenAPI document validates, documents every
endpoint's response and declares errors as the problems the server sends; requests an endpoint
cannot mean are refused as such."""

import pytest
from openapi_spec_validator import validate

from tests import factories as f


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method != "parameters":
                yield method, path, op


def test_the_openapi_document_validates_as_openapi(spec):
    validate(spec)


def test_every_endpoint_documents_its_success_response_with_a_body(spec):
    missing = []
    for method, path, op in _operations(spec):
        ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        if not ok or any(code != "204" and "content" not in r for code, r in ok.items()):
            missing.append(f"{method.upper()} {path}")
    assert missing == []


def test_errors_are_declared_as_the_problem_json_the_server_sends(spec, client):
    default = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(default) == ["application/problem+json"]
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "code", "detail"} <= set(problem["required"])
    sent = client.get("/api/v1/persons/1")
    assert sent.status_code == 401 and sent.mimetype == "application/problem+json"
    assert set(problem["required"]) <= set(sent.json)


def test_path_parameters_carry_the_pattern_the_server_checks(spec, client, worker):
    params = spec["paths"]["/api/v1/areas/{code}"]["parameters"]
    [code] = [p for p in params if p["in"] == "path"]
    assert code["schema"]["pattern"] == r"^(\d{12}|\d{15})$"
    house = spec["paths"]["/api/v1/houses/{code}"]["parameters"]
    assert [p["schema"]["pattern"] for p in house if p["in"] == "path"] == [r"^\d{25}$"]
    refused = client.get("/api/v1/areas/00", headers=worker)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "code"


def test_each_kind_of_upload_record_is_documented_with_its_data(spec):
    body = spec["paths"]["/api/v1/sync/upload"]["post"]["requestBody"]["content"]
    records = body["application/json"]["schema"]
    batch = spec["components"]["schemas"][records["$ref"].rsplit("/", 1)[1]]
    kinds = [
        ref["$ref"].rsplit("/", 1)[1] for ref in batch["properties"]["records"]["items"]["oneOf"]
    ]
    assert kinds == [
        "HouseUpsertRecord",
        "HouseDeleteRecord",
        "PersonUpsertRecord",
        "PersonMoveRecord",
        "PersonDeleteRecord",
        "VisitResultRecord",
    ]
    schemas = spec["components"]["schemas"]
    person = schemas["PersonUpsertRecord"]
    assert person["properties"]["op"]["enum"] == ["upsert"]
    data = schemas[person["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
    assert {"id", "id_number", "name", "house_code", "floating"} <= set(data["properties"])
    assert body["application/json"]["examples"]["new records"]["value"]["records"]
    outcomes = spec["components"]["schemas"]["Outcome"]["properties"]["outcome"]["enum"]
    assert "deleted" in outcomes and "conflict" in outcomes


def test_an_unknown_query_parameter_is_refused_naming_it(client, worker):
    response = client.get("/api/v1/persons?area=440303001001001&name=张三", headers=worker)
    assert response.status_code == 422
    assert [(e["field"], e["in"]) for e in response.json["errors"]] == [("name", "query")]


def test_a_query_parameter_on_an_endpoint_that_takes_none_is_refused(client, worker, house):
    response = client.get(f"/api/v1/houses/{house}?verbose=1", headers=worker)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["verbose"]


def test_json_sent_as_text_plain_is_415_not_a_missing_field(client, worker):
    body = '{"device_id": "pda-1", "records": []}'
    response = client.post(
        "/api/v1/sync/upload",
        data=body,
        headers={**worker, "Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert response.json["code"] == "unsupported_media_type"
    assert response.mimetype == "application/problem+json"


def test_the_documented_list_responses_match_what_is_served(client, worker, house):
    listed = client.get("/api/v1/houses?area=440303001001001", headers=worker).json
    assert [h["code"] for h in listed["houses"]] == [house] and listed["next"] is None
    assert f.OWN_CELL == listed["houses"][0]["grid"]
