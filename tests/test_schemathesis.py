"""Schemathesis over every endpoint of the OpenAPI document: generated requests get no server
error, and every response keeps to the document (status, media type, body schema)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from gridgov.extensions import db
from tests import factories as f

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Per endpoint: about 45 endpoints, so a few hundred cases in all.
EXAMPLES = 8


@pytest.fixture
def api_schema(app):
    def isolated(environ, start_response):
        # A session per request, as under gunicorn (the test's app context is reused). The
        # answer is read whole and closed here, as a WSGI server does: schemathesis reads the
        # body without closing it, which would leave a download's temporary file to the garbage
        # collector, whose ResourceWarning then fails whichever later test it lands in.
        db.session.remove()
        answer = app.wsgi_app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            if hasattr(answer, "close"):
                answer.close()
            db.session.remove()

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated)


@pytest.fixture
def desk(client):
    """Log in as district staff, who see and may write everything in the district (admins
    may not upload); a fresh token each time (a generated logout revokes the last one)."""
    f.make_district()
    f.make_user("fuzz", "district_staff", [f.DISTRICT])
    return lambda: f.bearer(f.login(client, "fuzz")["access_token"])


# schemathesis' WSGI client reads a streamed XLSX export without closing its temporary file.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_every_endpoint_keeps_to_its_openapi_document(api_schema, desk):
    # One test over every operation (schemathesis' pytest plugin predates this pytest).
    calls = []
    statuses = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        headers = desk()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            calls.append(case.operation.label)
            case.headers = {**(case.headers or {}), **headers}  # noqa: B023 (run now)
            response = case.call_and_validate(checks=CHECKS)
            statuses.append(response.status_code)

        run()
    assert len(set(calls)) == len(list(api_schema.get_all_operations())) >= 40
    assert len(calls) >= 300
    # Generated codes mostly name no area or record (404), but enough cases got through to
    # be answered with a body the document describes.
    assert sum(1 for s in statuses if s < 400) >= 50, statuses
