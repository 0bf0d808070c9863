"""The statistics responses are documented field by field, and what is served keeps to it."""

import pytest
from openapi_schema_validator import OAS30Validator

from tests import factories as f
from tests.openapi import response_schema
from tests.stats import helpers as h
from tests.stats.test_statistics import COMMUNITY, STREET


@pytest.fixture
def documented(client):
    spec = client.get("/api/v1/openapi.json").json

    return lambda path: response_schema(spec, path)


def test_statistics_series_and_features_are_documented_field_by_field(documented):
    stats = documented("/api/v1/stats/{code}")
    assert stats["additionalProperties"] is False
    assert {"area", "as_of", "measures", "total", "by", "children"} == set(stats["properties"])
    values = stats["properties"]["children"]["items"]["properties"]["values"]
    assert values["properties"]["people_per_rental"]["nullable"] is True
    assert values["properties"]["age_bands"]["additionalProperties"] == {"type": "integer"}
    series = documented("/api/v1/stats/{code}/series")
    assert series["properties"]["points"]["items"]["required"] == [
        "as_of",
        "floating",
        "month",
        "population",
        "residents",
    ]
    features = documented("/api/v1/stats/{code}/features")
    properties = features["properties"]["features"]["items"]["properties"]["properties"]
    assert properties["additionalProperties"] == {"type": "number", "nullable": True}


def test_what_the_statistics_endpoints_serve_keeps_to_the_document(client, worker, documented):
    house = h.add_house(client, worker, f.OWN_CELL, "101", rented=True)
    h.add_person(client, worker, 1, house)
    h.add_person(client, worker, 2, house, kind="resident")
    staff = f.auth_as(client, "district_staff", [f.DISTRICT])
    served = {
        "/api/v1/stats/{code}": [
            f"/api/v1/stats/{f.DISTRICT}",
            f"/api/v1/stats/{f.DISTRICT}?by=community",
            f"/api/v1/stats/{STREET}?by=grid&from=2026-01-01",
            f"/api/v1/stats/{COMMUNITY}?by=grid&as_of=2026-01-31&measures=population,age_bands",
        ],
        "/api/v1/stats/{code}/series": [f"/api/v1/stats/{STREET}/series?from=2026-01&to=2026-03"],
        "/api/v1/stats/{code}/features": [f"/api/v1/stats/{f.DISTRICT}/features?by=community"],
    }
    for path, urls in served.items():
        validator = OAS30Validator(documented(path))
        for url in urls:
            response = client.get(url, headers=staff)
            assert response.status_code == 200, response.json
            errors = [e.message for e in validator.iter_errors(response.json)]
            assert errors == [], url
    # A document that could not fail would prove nothing: an undocumented key is refused.
    body = client.get(f"/api/v1/stats/{f.DISTRICT}", headers=staff).json
    assert not OAS30Validator(documented("/api/v1/stats/{code}")).is_valid({**body, "x": 1})
