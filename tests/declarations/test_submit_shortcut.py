"""POST /declarations answered in front of the framework (declarations.shortcut) is what the
full stack answers and writes, and everything the shortcut does not take reaches the full
stack."""

import json
import re

import pytest
from sqlalchemy import func, select
from werkzeug.test import Client

from gridgov.audit.models import AuditEvent
from gridgov.declarations import configure, current, submit
from gridgov.declarations.models import Declaration, DeclarationEvent
from gridgov.declarations.shortcut import DeclareShortcut
from gridgov.extensions import db
from tests.declarations import helpers as d

PATH = "/api/v1/declarations"
ADDRESS = {
    "community_code": "440303001001",
    "compound": "翠竹苑",
    "building": "9栋",
    "unit": "1",
    "room": "901",
}


@pytest.fixture(autouse=True)
def no_sample(client, worker):
    d.rules(client, 0.0)


@pytest.fixture
def full_stack(app, monkeypatch):
    """A client of the app behind the shortcut, and the bodies the shortcut handed to it."""
    shortcut = app.wsgi_app
    while not isinstance(shortcut, DeclareShortcut):
        shortcut = getattr(shortcut, "inner", None) or shortcut.app  # ProxyFix's
    inner, handed = shortcut.inner, []

    def counted(environ, start_response):
        if environ["PATH_INFO"] == PATH:
            handed.append(environ["wsgi.input"].read())
            environ["wsgi.input"].seek(0)
        return inner(environ, start_response)

    monkeypatch.setattr(shortcut, "inner", counted)
    return Client(inner), handed


def post(client, data, address="10.5.0.1", **kwargs):
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    kwargs.setdefault("content_type", "application/json")
    return client.post(
        kwargs.pop("path", PATH), data=body, environ_overrides={"REMOTE_ADDR": address}, **kwargs
    )


def answer(response, drop=()) -> tuple:
    """Status, headers and body; a new declaration's reference and time by their shape."""
    headers = [(k, v) for k, v in response.headers if k not in ("Content-Length", *drop)]
    body = response.data
    if response.status_code == 201:
        body = json.dumps(shaped(response.json), sort_keys=True).encode()
    return response.status, headers, body


def shaped(value):
    if isinstance(value, dict):
        return {
            k: shaped(v) if k not in ("reference", "submitted_at") else kind(k, v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [shaped(v) for v in value]
    return value


def kind(key: str, value: str) -> str:
    pattern = r"SB[A-HJ-NP-Z2-9]{12}" if key == "reference" else r"\d{4}-\d\d-\d\dT[\d:.]+\+08:00"
    assert re.fullmatch(pattern, value), (key, value)
    return key


def written(reference: str) -> tuple:
    """What a declaration wrote, apart from what tells one person from another."""
    decl = db.session.scalar(select(Declaration).where(Declaration.reference == reference))
    events = db.session.scalars(
        select(DeclarationEvent.to_state)
        .where(DeclarationEvent.declaration_id == decl.id)
        .order_by(DeclarationEvent.id)
    ).all()
    audit = db.session.scalar(
        select(func.count()).where(
            AuditEvent.action == "declare", AuditEvent.entity_key == reference
        )
    )
    return (decl.state, decl.route, decl.rule_name, decl.house_code, decl.kind, events, audit)


def test_a_well_formed_declaration_is_answered_and_written_as_the_full_stack_does_it(
    client, house, full_stack
):
    full, handed = full_stack
    cases = [  # (ours, the full stack's): the same declaration of two people
        (d.body(71, house), d.body(72, house)),
        (d.body(73, house, household=[d.person(75)]), d.body(77, house, household=[d.person(79)])),
        (
            {"person": d.person(81), "address": ADDRESS},
            {"person": d.person(82), "address": ADDRESS},
        ),
        (d.body(83, house, kind="floating"), d.body(84, house, kind="floating")),
    ]
    for ours_body, full_body in cases:
        ours, theirs = post(client, ours_body), post(full, full_body, address="10.5.0.2")
        assert ours.status_code == 201, ours.json
        assert answer(ours) == answer(theirs)
        assert written(ours.json["reference"]) == written(theirs.json["reference"])
    assert handed == []  # every one answered by the shortcut


def test_requests_the_shortcut_does_not_take_are_answered_by_the_full_stack(
    client, house, full_stack
):
    full, handed = full_stack
    big = d.body(91, house)
    big["person"]["occupation"] = "很" * 20_000
    cases = [  # (body, what else the request says, the status the full stack gives it)
        (d.body(92, house), {"path": PATH + "?lang=zh"}, 422),  # not a parameter
        (d.body(93, house), {"content_type": "text/plain"}, 415),
        (big, {}, 413),
        (b'{"person": ', {}, 400),
        ("\ufeff申报".encode("utf-16"), {}, 400),
        ({"person": d.person(94)}, {}, 422),  # no house named
        ({**d.body(95, house), "house_code": "123"}, {}, 422),
        ([d.body(96, house)], {}, 422),
    ]
    for body, extra, status in cases:
        ours = post(client, body, **dict(extra))
        assert ours.status_code == status, (extra, ours.json)
        assert answer(ours) == answer(post(full, body, **dict(extra)))
    assert len(handed) == len(cases) and db.session.scalar(select(func.count(Declaration.id))) == 0


def test_a_refusal_after_the_body_is_answered_by_the_apps_own_handlers(client, house, full_stack):
    full, handed = full_stack
    unknown = d.body(101, "4" * 25)
    ours = post(client, unknown)
    assert ours.status_code == 422 and ours.json["errors"][0]["field"] == "house_code"
    assert answer(ours) == answer(post(full, unknown))

    first = d.declare(client, d.body(102, house))
    ours = post(client, d.body(102, house), address="10.5.0.3")
    assert ours.status_code == 409 and first["reference"] in ours.json["detail"]
    assert answer(ours) == answer(post(full, d.body(102, house), address="10.5.0.3"))

    saved = current()
    configure(type(saved)(**{**saved.__dict__, "per_address": 1}))
    try:
        ours = post(client, d.body(103, house), address="10.1.0.1")  # it sent 102
        assert ours.status_code == 429 and ours.json["code"] == "address_throttled"
        theirs = post(full, d.body(103, house), address="10.1.0.1")
        assert answer(ours, drop=("Retry-After",)) == answer(theirs, drop=("Retry-After",))
    finally:
        configure(saved)
    assert handed == [], "the shortcut took every one: none was tried twice"


def test_a_failure_without_a_handler_is_answered_500_as_the_full_stack_answers_it(
    app, client, house, full_stack, monkeypatch
):
    full, handed = full_stack

    def broken(*args):
        raise RuntimeError("a fault in the submission")

    monkeypatch.setattr(submit, "submit", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as served, not as tested
    ours = post(client, d.body(111, house))
    assert ours.status_code == 500 and ours.content_type == "application/problem+json"
    assert "a fault" not in ours.get_data(as_text=True)
    assert answer(ours) == answer(post(full, d.body(111, house)))
    assert handed == []  # answered where it failed, not tried again by the full stack
