"""GET /locate answered in front of the framework (hierarchy.shortcut) is exactly what the full
stack answers, and everything the shortcut does not answer itself reaches the full stack."""

import pytest
from werkzeug.test import Client

from tests import factories as f

PATH = "/api/v1/locate"


@pytest.fixture
def full_stack(app, monkeypatch):
    """A client of the Flask app behind the shortcut, and the queries the shortcut handed to
    that app itself."""
    shortcut = app.wsgi_app
    inner, handed = shortcut.inner, []

    def counted(environ, start_response):
        if environ["PATH_INFO"] == PATH:
            handed.append(environ["QUERY_STRING"])
        return inner(environ, start_response)

    monkeypatch.setattr(shortcut, "inner", counted)
    return Client(inner), handed


def answer(response) -> tuple:
    return response.status, list(response.headers), response.data


def test_a_located_point_is_answered_byte_for_byte_as_the_full_stack_answers_it(
    client, district_staff, full_stack
):
    full, handed = full_stack
    queries = [
        "lon=114.035&lat=22.505",
        f"lon=114.005&lat={f.MID}",  # a shared edge
        "lat=22.515&lon=114.005&crs=wgs84",
        "lon=114.0400747&lat=22.5022314&crs=gcj02",
        "lon=114.0466063&lat=22.5080587&crs=bd09",
    ]
    for query in queries:
        ours = client.get(f"{PATH}?{query}", headers=district_staff)
        assert ours.status_code == 200, ours.json
        assert answer(ours) == answer(full.get(f"{PATH}?{query}", headers=district_staff))
    assert handed == []  # every one answered by the shortcut


def test_requests_the_shortcut_does_not_take_are_answered_by_the_full_stack(
    client, district_staff, full_stack
):
    full, handed = full_stack
    cases = {  # query -> the status the full stack gives it
        "lon=114&lat=95": 422,
        "lat=22.5": 422,
        "lon=114.035&lat=22.505&area=440303": 422,  # not a parameter of locate
        "lon=114.035&lat=22.505&lon=1": 200,  # sent twice: the first counts, as in Flask
        "": 422,
    }
    for query, status in cases.items():
        ours = client.get(f"{PATH}?{query}", headers=district_staff)
        assert ours.status_code == status, (query, ours.json)
        assert answer(ours) == answer(full.get(f"{PATH}?{query}", headers=district_staff))
    no_token = client.get(f"{PATH}?lon=114.035&lat=22.505")
    assert no_token.status_code == 401 and no_token.json["code"] == "missing_token"
    head = client.head(f"{PATH}?lon=114.035&lat=22.505", headers=district_staff)
    assert head.status_code == 200 and head.data == b""
    assert handed == [*cases, "lon=114.035&lat=22.505", "lon=114.035&lat=22.505"]


def test_a_failure_after_the_arguments_is_answered_by_the_apps_own_handlers(
    client, district_staff, full_stack
):
    full, handed = full_stack
    outside = f"{PATH}?lon=114.05&lat=22.515"
    ours = client.get(outside, headers=district_staff)
    assert ours.status_code == 404 and ours.json["code"] == "outside_district"
    assert answer(ours) == answer(full.get(outside, headers=district_staff))

    assert client.post("/api/v1/auth/logout", headers=district_staff).status_code == 204
    inside = f"{PATH}?lon=114.035&lat=22.505"
    ended = client.get(inside, headers=district_staff)
    assert ended.status_code == 401, ended.json
    assert ended.content_type == "application/problem+json"
    assert answer(ended) == answer(full.get(inside, headers=district_staff))
    assert handed == []  # the shortcut took both; neither query ran twice
