"""POST /declarations answered in front of the framework (declarations.shortcut) is what the
full stack answers and writes, and everything the shortcut does not take reaches the full
stack."""

import io
import json
import re

import pytest
from sqlalchemy import func, select
from werkzeug.test import Client

from gridgov import create_app
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
# A new declaration's reference and time, which differ from one declaration to the next.
REFERENCE = re.compile(rb'"SB[A-HJ-NP-Z2-9]{12}"')
SUBMITTED_AT = re.compile(rb'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+08:00"')


@pytest.fixture(autouse=True)
def no_sample(client, worker):
    d.rules(client, 0.0)


@pytest.fixture
def full_stack(app, monkeypatch):
    """A client of the app behind the shortcut, and the bodies the shortcut handed to it."""
    shortcut = shortcut_of(app)
    inner, handed = shortcut.inner, []

    def counted(environ, start_response):
        if environ["PATH_INFO"] == PATH:
            handed.append(environ["wsgi.input"].read())
            environ["wsgi.input"] = io.BytesIO(handed[-1])
        return inner(environ, start_response)

    monkeypatch.setattr(shortcut, "inner", counted)
    return Client(inner), handed


def shortcut_of(app) -> DeclareShortcut:
    layer = app.wsgi_app
    while not isinstance(layer, DeclareShortcut):
        layer = getattr(layer, "inner", None) or layer.app  # ProxyFix's
    return layer


def post(client, data, address="10.5.0.1", chunked=False, **kwargs):
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    kwargs.setdefault("content_type", "application/json")
    environ = {"REMOTE_ADDR": address}
    if chunked:  # no Content-Length: the server ends the stream (gunicorn says so)
        environ["wsgi.input_terminated"] = True
        kwargs |= {"input_stream": io.BytesIO(body), "headers": {"Transfer-Encoding": "chunked"}}
    else:
        kwargs["data"] = body
    return client.post(kwargs.pop("path", PATH), environ_overrides=environ, **kwargs)


def answer(response, drop=()) -> tuple:
    """Status, headers and the body's bytes, a new declaration's reference and time apart."""
    headers = [(k, v) for k, v in response.headers if k not in ("Content-Length", *drop)]
    body = SUBMITTED_AT.sub(b"time", REFERENCE.sub(b"reference", response.data))
    if response.status_code == 201:
        assert b'"reference":reference' in body and b'"submitted_at":time' in body, body
    return response.status, headers, body


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
    for n, media_type in enumerate(("application/json; charset=utf-8", "Application/JSON")):
        ours = post(client, d.body(85 + n, house), content_type=media_type)
        assert ours.status_code == 201, (media_type, ours.json)
    assert handed == []  # every one answered by the shortcut


def test_requests_the_shortcut_does_not_take_are_answered_by_the_full_stack(
    app, client, house, full_stack, monkeypatch
):
    full, handed = full_stack
    big = d.body(91, house)
    big["person"]["occupation"] = "很" * 20_000
    cases = [  # (body, what else the request says, the status the full stack gives it)
        (d.body(92, house), {"path": PATH + "?lang=zh"}, 422),  # not a parameter
        (d.body(93, house), {"content_type": "text/plain"}, 415),
        (d.body(93, house), {"content_type": "application/json\xa0"}, 415),
        (big, {}, 413),
        (big, {"chunked": True}, 413),  # its length known only once read: still the limit
        (b'{"person": ', {}, 400),
        ("\ufeff申报".encode("utf-16"), {}, 400),
        (b"", {}, 422),
        ({"person": d.person(94)}, {}, 422),  # no house named
        ({**d.body(95, house), "house_code": "123"}, {}, 422),
        ([d.body(96, house)], {}, 422),
    ]
    for body, extra, status in cases:
        ours = post(client, body, **extra)
        assert ours.status_code == status, (extra, ours.json)
        assert answer(ours) == answer(post(full, body, **extra))
    assert len(handed) == len(cases) and d.stored() == 0

    chunked = post(client, d.body(97, house), chunked=True)
    assert chunked.status_code == 201 and len(handed) == len(cases) + 1
    monkeypatch.setattr(app, "debug", True)  # debug answers are indented: the app's
    assert post(client, d.body(98, house)).status_code == 201 and len(handed) == len(cases) + 2
    assert d.stored() == 2


def test_a_refusal_after_the_body_is_answered_by_the_apps_own_handlers(client, house, full_stack):
    full, handed = full_stack
    unknown = d.body(101, "4" * 25)
    ours = post(client, unknown)
    assert ours.status_code == 422 and ours.json["errors"][0]["field"] == "house_code"
    assert answer(ours) == answer(post(full, unknown))

    first = d.declare(client, d.body(102, house, household=[d.person(104)]))
    pending = {  # a person, or a household member, pending already: (body, its reference)
        "person.id_number": (d.body(102, house), first["reference"]),
        "household.0.id_number": (
            d.body(106, house, household=[d.person(104)]),
            first["household"][0]["reference"],
        ),
    }
    for field, (again, reference) in pending.items():
        ours = post(client, again, address="10.5.0.3")
        assert ours.status_code == 409, ours.json
        assert ours.json["errors"] == [{"field": field, "in": "body", "message": reference}]
        assert answer(ours) == answer(post(full, again, address="10.5.0.3"))

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


def test_behind_a_proxy_the_throttle_counts_the_forwarded_client_address(house):
    proxied = create_app({"TESTING": True, "GRIDGOV_PROXIES": 1})
    saved = current()
    configure(type(saved)(**{**saved.__dict__, "per_address": 1}))
    try:
        client = proxied.test_client()
        shortcut, handed = shortcut_of(proxied), []
        inner = shortcut.inner
        shortcut.inner = lambda environ, start_response: (
            handed.append(environ) or inner(environ, start_response)
        )

        def sent(seq: int, forwarded: str):
            headers = {"X-Forwarded-For": forwarded}
            return client.post(PATH, json=d.body(seq, house), headers=headers)

        assert sent(121, "10.6.0.1").status_code == 201
        again = sent(122, "10.6.0.1")
        assert again.status_code == 429 and again.json["code"] == "address_throttled"
        assert sent(123, "10.6.0.2").status_code == 201  # the proxy's own address is the same
        assert handed == []  # the shortcut answered them all, behind ProxyFix
    finally:
        configure(saved)
        proxied.extensions["principal_cache"].stop()
        with proxied.app_context():
            db.engine.dispose()


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
