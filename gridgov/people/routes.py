"""Desk reads of people: scoped, masked; look-up by ID number and reveal are POSTs (the number
stays out of URLs and access logs) and are audited."""

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import fields, validate

from gridgov.codes.service import current_codes
from gridgov.hierarchy import service as hierarchy
from gridgov.hierarchy.schemas import AREA_CODE
from gridgov.people import desk, disclosure, views
from gridgov.records.writer import Writer
from gridgov.schema import Schema
from gridgov.scope.guard import authenticated, current_principal

blp = Blueprint("persons", __name__, url_prefix="/api/v1/persons", description="People")


class PersonsArgsSchema(Schema):
    area = fields.String(required=True, validate=AREA_CODE)
    kind = fields.String(validate=validate.OneOf(("resident", "floating")))
    after = fields.Integer(validate=validate.Range(min=0))
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))


class LookupSchema(Schema):
    id_number = fields.String(required=True)


class RevealSchema(Schema):
    field = fields.String(required=True, validate=validate.OneOf(tuple(disclosure.REVEALABLE)))
    # Checked by the service, so a refused attempt is audited like a disclosure.
    reason = fields.String(load_default="")


class TransfersArgsSchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(desk.STATUSES))


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "refuse")))
    reason = fields.String(load_default="", validate=validate.Length(max=200))


@blp.get("")
@authenticated()
@blp.arguments(PersonsArgsSchema, location="query")
def list_persons(args):
    """People living below an area (kind=resident|floating); page with after=<last id>."""
    items = views.list_persons(
        current_principal(),
        hierarchy.area_prefix(current_principal(), args["area"]),
        args.get("kind"),
        args.get("after"),
        args["limit"],
    )
    return {"persons": items, "next": items[-1]["id"] if len(items) == args["limit"] else None}


@blp.get("/<int:person_id>")
@authenticated()
def get_person(person_id):
    return views.get_person(current_principal(), person_id)


@blp.post("/lookup")
@authenticated()
@blp.arguments(LookupSchema)
def lookup(args):
    """Find a person in your scope by ID number (through the keyed blind index)."""
    return disclosure.lookup(
        current_principal(), current_app.extensions["vault"], args["id_number"]
    )


@blp.post("/<int:person_id>/reveal")
@authenticated()
@blp.arguments(RevealSchema)
def reveal(args, person_id):
    """Show the full ID or phone number, with a reason; audited."""
    return disclosure.reveal(
        current_principal(),
        current_app.extensions["vault"],
        person_id,
        args["field"],
        args["reason"],
    )


@blp.get("/transfers")
@authenticated("street_staff", "district_staff")
@blp.arguments(TransfersArgsSchema, location="query")
def list_transfers(args):
    """Transfer requests into or out of your areas: the person's record only to their side."""
    return {"transfers": desk.list_transfers(current_principal(), args["status"])}


@blp.post("/transfers/<int:transfer_id>/decide")
@authenticated("street_staff", "district_staff")
@blp.arguments(DecisionSchema)
def decide_transfer(args, transfer_id):
    """Accept (the person moves, dated when the device saw them) or refuse, with a reason."""
    w = Writer(current_principal(), None, current_app.extensions["vault"], current_codes())
    return desk.decide(w, transfer_id, args["decision"], args["reason"])
