"""Declarations: public submission and status (no token), the street desk's queue, review and
decisions, and the admin's triage rules."""

import time

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from gridgov.codes.service import current_codes
from gridgov.declarations import current, desk, places, rules, schemas, status, submit
from gridgov.extensions import Blueprint, Document
from gridgov.hierarchy import service as hierarchy
from gridgov.people.schemas import FLOATING_CODES, PERSON_CODES, RESIDENT_CODES
from gridgov.records.writer import Writer
from gridgov.scope import Principal
from gridgov.scope.guard import authenticated, current_principal

blp = Blueprint(
    "declarations", __name__, url_prefix="/api/v1/declarations", description="Declarations"
)
DESK = ("street_staff", "district_staff", "admin")
# The resident: no account, no areas (the public endpoint reads no record for them).
PUBLIC = Principal(user_id=None, username="public", role="public", areas=())
REFERENCE = "<string(length=14):reference>"
# The code tables a person record is checked against (not the other tables' thousands of codes).
CODE_TABLES = tuple({*PERSON_CODES.values(), *RESIDENT_CODES.values(), *FLOATING_CODES.values()})


# The person code tables as this process last read them: (read at, codes). A public form may
# be checked against codes up to CODES_SECONDS old (the desk's approval checks them again).
CODES_SECONDS = 60.0
_codes: list = [float("-inf"), None]


def _person_codes() -> dict:
    now = time.monotonic()
    if now - _codes[0] > CODES_SECONDS:
        _codes[:] = [now, current_codes(CODE_TABLES)]
    return _codes[1]


def _writer(principal: Principal, cached_codes: bool = False) -> Writer:
    codes = _person_codes() if cached_codes else current_codes(CODE_TABLES)
    return Writer(principal, None, current_app.extensions["vault"], codes)


@blp.before_request
def _limit_body():
    # Only the public submission is small by nature; the rest keep the app's limit.
    if request.method == "POST" and request.path.rstrip("/") == blp.url_prefix:
        limit = current_app.config["GRIDGOV_DECLARATION_MAX_BYTES"]
        if request.content_length is not None:
            request.max_content_length = limit
            return
        # A body of unknown length (chunked): werkzeug stops reading it at the limit without a
        # word, so it is read with one byte more to tell a larger one.
        request.max_content_length = limit + 1
        if len(request.get_data(cache=True)) > limit:
            raise RequestEntityTooLarge()


@blp.post("")
@blp.arguments(schemas.DeclarationSchema)
@blp.response(201, schemas.SubmittedSchema)
@blp.alt_response(413, description="The body is larger than GRIDGOV_DECLARATION_MAX_BYTES")
@blp.alt_response(429, description="Too many from this address or for this ID number")
def declare(body):
    """A resident declares themselves (and the people living with them); no token. Written to
    staging only and triaged at once; the answer is a reference to follow it by."""
    return submitted(body, request.remote_addr)


def submitted(body: dict, address: str | None) -> dict:
    """The view's work, for declarations.shortcut too: a declaration from a client address."""
    return submit.submit(_writer(PUBLIC, cached_codes=True), body, address, current())


# The address pickers are not personal: a phone, a proxy or the hall's kiosk may keep them.
PLACES_CACHE = {"Cache-Control": "public, max-age=300"}


@blp.get("/places")
@blp.response(200, schemas.PlacesSchema)
@blp.alt_response(429, description="This address declared too often (the submission's throttle)")
def district_places():
    """The district's streets and communities, for the resident's address pickers; no token."""
    vault = current_app.extensions["vault"]
    return places.district(vault, request.remote_addr, current()), 200, PLACES_CACHE


@blp.get("/places/<string(length=12):community>")
@blp.response(200, schemas.CommunityPlacesSchema)
@blp.alt_response(429, description="This address declared too often (the submission's throttle)")
def community_places(community):
    """A community's compounds, buildings, units and rooms as recorded on its houses; no
    token, no house ids, codes or occupants. An unknown community is a 404."""
    vault = current_app.extensions["vault"]
    answer = places.community(vault, request.remote_addr, current(), community)
    return answer, 200, PLACES_CACHE


@blp.get(f"/{REFERENCE}")
@blp.arguments(schemas.StatusArgsSchema, location="query")
@blp.response(200, schemas.StatusSchema)
def public_status(args, reference):
    """The state of a declaration, its dates and a rejection's reason, every personal value
    masked: with the reference and the last four characters of the ID number."""
    return status.status(reference, args["id_last4"])


@blp.post(f"/{REFERENCE}/withdraw")
@blp.arguments(schemas.DeclarationWithdrawSchema)
@blp.response(200, schemas.StatusSchema)
@blp.alt_response(409, description="Already decided (approved, rejected or withdrawn)")
def withdraw(args, reference):
    """The resident withdraws a declaration not yet decided, with the reference and the last
    four characters of the ID number (the status page's pair, its 404 and its guess limit); a
    door visit out for it is withdrawn too. No token."""
    return status.withdraw(reference, args["id_last4"], args["reason"], current())


@blp.get("")
@authenticated(*DESK)
@blp.arguments(schemas.QueueArgsSchema, location="query")
@blp.response(200, Document)
def queue(args):
    """The review queue of your areas (open declarations by default): masked values, the
    difference, the rule that fired and whether the record changed since triage."""
    principal = current_principal()
    prefix = hierarchy.area_prefix(principal, args["area"]) if args.get("area") else ""
    return desk.queue(
        principal, args.get("state"), args.get("route"), prefix, args.get("after"), args["limit"]
    )


@blp.get("/<int:decl_id>/review")
@authenticated(*DESK)
@blp.response(200, Document)
def review(decl_id):
    """A declaration with its difference, the current record and its history (audited)."""
    return desk.review(current_principal(), decl_id)


@blp.post("/<int:decl_id>/decide")
@authenticated(*DESK)
@blp.arguments(schemas.DecideSchema)
@blp.response(200, Document)
def decide(args, decl_id):
    """Approve (the record is written as an upload would write it), reject with a reason the
    resident reads, or send a door visit. A record changed since triage needs confirm_stale."""
    return desk.decide(
        _writer(current_principal()),
        decl_id,
        args["decision"],
        args["reason"],
        args["confirm_stale"],
    )


@blp.post("/decide")
@authenticated(*DESK)
@blp.arguments(schemas.BulkDecideSchema)
@blp.response(200, Document)
def decide_many(args):
    """Approve many desk-check declarations: one outcome per id, each all or nothing."""
    return desk.decide_many(_writer(current_principal()), args["ids"])


@blp.get("/rules")
@authenticated("admin")
@blp.response(200, Document)
def get_rules():
    """The current triage rules, tried in order."""
    return rules.as_dict()


@blp.put("/rules")
@authenticated("admin")
@blp.arguments(schemas.RulesPutSchema)
@blp.response(200, Document)
def put_rules(args):
    """Store a new version of the triage rules (old versions are kept)."""
    return rules.replace(current_principal().user_id, args["rules"], args["sample_rate"])
