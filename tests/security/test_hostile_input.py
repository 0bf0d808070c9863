"""Each input the outside test answered with a 500 now gets a 4xx problem naming what was wrong,
and a refused request writes nothing."""

import json

import pytest
from sqlalchemy import func, select, text

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people.models import Person
from tests import factories as f

HUGE = 2**64


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.fixture
def staff(client):
    f.make_district()
    return f.auth_as(client, "street_staff", ["440303001000"])


def post(client, path, body, headers=None):
    """JSON as a client would send it: ASCII with escapes, so "\\ud800" arrives as a lone
    surrogate (the test client's own encoder cannot encode one)."""
    return client.post(
        path, data=json.dumps(body), content_type="application/json", headers=headers
    )


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/problem+json"
    return response.json


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/sync/upload"])
def test_json_nested_fifty_thousand_deep_is_malformed_json(client, worker, path):
    response = client.post(path, data=deep(50_000), content_type="application/json", headers=worker)
    assert is_problem(response, 400)["code"] == "malformed_json"


@pytest.mark.parametrize("username", ["wa\x00ng", "wang\ud800"])
def test_a_nul_or_lone_surrogate_in_the_login_name_is_refused_naming_it(client, username):
    response = post(client, "/api/v1/auth/login", {"username": username, "password": "whatever-1"})
    body = is_problem(response, 422)
    assert body["errors"][0]["field"] == "username"
    assert "NUL or unpaired surrogate" in body["errors"][0]["message"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", f"/api/v1/persons/{HUGE}"),
        ("post", f"/api/v1/persons/{HUGE}/reveal"),
        ("post", f"/api/v1/conflicts/{HUGE}/resolve"),
        ("get", f"/api/v1/grids/proposals/{HUGE}"),
        ("get", "/api/v1/areas/440303%00"),
    ],
)
def test_an_id_beyond_a_bigint_or_a_nul_in_a_path_is_simply_not_found(client, staff, method, path):
    response = getattr(client, method)(path, json={}, headers=staff)
    assert is_problem(response, 404)["code"] == "not_found"


def test_a_cursor_beyond_a_bigint_is_refused_naming_it(client, worker):
    response = client.get(f"/api/v1/sync/changes?cursor={HUGE}.0.{HUGE}", headers=worker)
    assert is_problem(response, 422)["errors"][0]["field"] == "cursor"


def test_an_after_beyond_a_bigint_is_refused_naming_it(client, staff):
    response = client.get(f"/api/v1/persons?area=440303001000&after={HUGE}", headers=staff)
    assert is_problem(response, 422)["errors"][0]["field"] == "after"


def test_a_nul_in_the_device_id_of_an_upload_is_refused_naming_it(client, worker):
    response = client.post(
        "/api/v1/sync/upload",
        json={"device_id": "pda\x00", "records": [f.envelope("house", f.house_data())]},
        headers=worker,
    )
    assert is_problem(response, 422)["errors"][0]["field"] == "device_id"
    assert db.session.scalar(select(func.count()).select_from(House)) == 0


def test_a_nul_in_the_device_id_of_a_number_reservation_is_refused_naming_it(client, worker):
    response = client.post(
        "/api/v1/sync/building-numbers",
        json={"device_id": "pda\x00", "community": "440303001001", "count": 1},
        headers=worker,
    )
    assert is_problem(response, 422)["errors"][0]["field"] == "device_id"


def test_a_nul_in_one_persons_name_rejects_that_record_alone(client, worker):
    [house] = f.upload(client, worker, f.envelope("house", f.house_data()))
    code = house["key"]
    good = f.envelope("person", f.person_data(1, code))
    bad = f.envelope("person", f.person_data(2, code, name="张\x00三"))
    surrogate = f.envelope("person", f.person_data(3, code, hukou_address="深圳\udc00"))
    response = post(
        client,
        "/api/v1/sync/upload",
        {"device_id": "pda-1", "records": [good, bad, surrogate]},
        worker,
    )
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert [r["outcome"] for r in results] == ["created", "rejected", "rejected"]
    assert results[1]["errors"][0]["field"] == "data.name"
    assert results[2]["errors"][0]["field"] == "data.hukou_address"
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


# --- every operation of the API document, every parameter, hostile values ---------------------

HOSTILE = [
    "\x00",
    "a\ud800b",
    2**64,
    -(2**64),
    "9" * 40,
    "x" * 10_000,
    ["list"],
    {"o": 1},
    None,
    True,
    1.5e308,
    "' OR 1=1 --",
    "../../etc/passwd",
]
DATA_TABLES = (
    "persons, houses, residences, rentals, buildings, sync_records, conflicts, changes, users, "
    "user_areas, transfer_requests, grid_proposals, areas, visit_tasks, visit_results"
).split(", ")


def _spec(app) -> dict:
    from gridgov.extensions import api

    with app.app_context():
        return api.spec.to_dict()


def _properties(spec: dict, operation: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = next(iter(content.values()), {}).get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return list(schema.get("properties", {}))


def _counts() -> dict:
    db.session.remove()
    return {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in DATA_TABLES}


def _quoted(value) -> str:
    from urllib.parse import quote

    return quote(str(value), safe="") or "x"


def test_no_operation_answers_hostile_values_with_a_server_error_or_a_write(app, client, staff):
    spec = _spec(app)
    before = _counts()
    sent, failures = 0, []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete") or path.endswith("logout"):
                continue
            params = [
                p for p in operation.get("parameters", []) if p.get("in") in ("path", "query")
            ]
            params += [p for p in operations.get("parameters", []) if p.get("in") == "path"]
            fields = _properties(spec, operation)
            targets = [("path" if p["in"] == "path" else "query", p["name"]) for p in params]
            targets += [("body", name) for name in fields]
            for where, name in targets or [("body", "x")]:
                for value in HOSTILE:
                    if where != "body" and value == "a\ud800b":
                        continue  # a URL cannot carry one: its UTF-8 decodes to U+FFFD
                    url = path
                    for p in params:
                        if p["in"] == "path":
                            filler = value if (where, name) == ("path", p["name"]) else "1"
                            url = url.replace("{" + p["name"] + "}", _quoted(filler))
                    query = {name: value} if where == "query" and value is not None else {}
                    body = {name: value} if where == "body" else {}
                    response = client.open(
                        url,
                        method=method.upper(),
                        query_string={k: str(v) for k, v in query.items()},
                        data=json.dumps(body),  # ASCII escapes carry the surrogate
                        content_type="application/json",
                        headers=staff,
                    )
                    sent += 1
                    if response.status_code >= 500:
                        failures.append(f"{method} {url} {where}.{name}={value!r:.40}: 5xx")
                    elif response.status_code >= 400 and (
                        response.mimetype != "application/problem+json"
                    ):
                        failures.append(f"{method} {url} {where}.{name}: not problem+json")
    assert sent > 500
    assert failures == [], "\n".join(failures[:40])
    assert _counts() == before  # every hostile request was refused and wrote nothing
