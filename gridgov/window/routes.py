"""Window registration at the street hall (street staff, their street only)."""

from flask import current_app

from gridgov.codes.service import current_codes
from gridgov.extensions import Blueprint
from gridgov.records.writer import Writer
from gridgov.scope.guard import authenticated, current_principal
from gridgov.window import schemas, service

blp = Blueprint("window", __name__, url_prefix="/api/v1/window", description="Window registration")


def _writer() -> Writer:
    principal = current_principal()
    return Writer(principal, service.CHANNEL, current_app.extensions["vault"], current_codes())


def _answer(args, person_id=None):
    result = service.register(
        _writer(), args["person"], args["capture_method"], args["base_version"], person_id
    )
    return result, result["status"]


@blp.post("/persons")
@authenticated("street_staff")
@blp.arguments(schemas.WindowPersonSchema)
@blp.response(201, schemas.WindowOutcomeSchema)
@blp.alt_response(200, schema=schemas.WindowOutcomeSchema, description="updated or unchanged")
@blp.alt_response(202, schema=schemas.WindowOutcomeSchema, description="transfer requested")
def register_person(args):
    """Register a walk-in resident from their ID card (or correct them by ID number, with
    base_version), written as a device's upload would be; audited with the clerk as verifier.
    Someone recorded beyond your street becomes a transfer request (202), nothing shown."""
    return _answer(args)


@blp.put("/persons/<int(max=2147483647):person_id>")
@authenticated("street_staff")
@blp.arguments(schemas.WindowPersonSchema)
@blp.response(200, schemas.WindowOutcomeSchema)
@blp.alt_response(202, schema=schemas.WindowOutcomeSchema, description="transfer requested")
def correct_person(args, person_id):
    """Correct a person of your street from the card in front of you: send base_version, the
    version you read; a record changed since is refused (409) with both sides, masked."""
    return _answer(args, person_id)
