"""Desk reads of people: scoped, masked; look-up by ID number and reveal are POSTs (the number
stays out of URLs and access logs) and are audited."""

from flask import current_app
from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.codes.service import current_codes
from gridgov.extensions import Blueprint, Document
from gridgov.hierarchy import service as hierarchy
from gridgov.hierarchy.schemas import AREA_CODE
from gridgov.houses import views as houses
from gridgov.people import desk, disclosure, schemas, views
from gridgov.records.checks import HOUSE_CODE
from gridgov.records.writer import Writer
from gridgov.schema import Schema
from gridgov.scope.guard import authenticated, current_principal

blp = Blueprint("persons", __name__, url_prefix="/api/v1/persons", description="People")


class PersonsArgsSchema(Schema):
    area = fields.String(
        validate=AREA_CODE, metadata={"description": "required unless house is given"}
    )
    kind = fields.String(validate=validate.OneOf(("resident", "floating")))
    compound = fields.String(validate=validate.Length(min=1, max=100))
    building = fields.String(validate=validate.Length(min=1, max=30))
    house = fields.String(
        validate=HOUSE_CODE, metadata={"description": "a house code: the people living there"}
    )
    expiring_within = fields.Integer(
        validate=validate.Range(0, 3660),
        metadata={"description": "days: floating people whose registration ends by then"},
    )
    special_concern = fields.Boolean(metadata={"description": "true: persons of special concern"})
    sex_mismatch = fields.Boolean(
        metadata={"description": "true: the recorded sex disagrees with the ID number"}
    )
    after = fields.Integer(validate=validate.Range(min=0, max=2**31 - 1))
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))

    @validates_schema
    def area_or_house(self, data, **kwargs):
        if not data.get("area") and not data.get("house"):
            raise ValidationError("name an area (or a house: its occupants)", "area")


class SearchSchema(PersonsArgsSchema):
    """A search by personal values, sent in a body so they stay out of URLs and logs."""

    name = fields.String(
        validate=validate.Length(min=1, max=50), metadata={"description": "exactly"}
    )
    name_prefix = fields.String(validate=validate.Length(min=1, max=50))
    phone = fields.String(
        validate=validate.Regexp(r"^\d{7,20}$", error="must be 7 to 20 digits"),
        metadata={"description": "the whole number (matched through its blind index)"},
    )


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
@blp.response(200, schemas.PersonPageSchema)
def list_persons(args):
    """People living below an area, narrowed by kind, compound, building, house, a
    registration that expires within N days, special concern or a sex that disagrees with the
    ID number; page with after=<last id>."""
    return _page(args, filters(args))


def filters(args: dict) -> views.PersonFilters:
    """The list filters of a request (the export of people applies them too). A house beyond
    the caller's areas is not found, word for word as a code nobody has: an empty list would
    tell that it exists."""
    if args.get("house"):
        houses.get_house(current_principal(), args["house"])
    return views.PersonFilters(
        kind=args.get("kind"),
        compound=args.get("compound"),
        building=args.get("building"),
        house=args.get("house"),
        expiring_within=args.get("expiring_within"),
        special_concern=args.get("special_concern"),
        sex_mismatch=args.get("sex_mismatch"),
        name=args.get("name"),
        name_prefix=args.get("name_prefix"),
        phone_index=(
            current_app.extensions["vault"].index(args["phone"], "phone")
            if args.get("phone")
            else None
        ),
    )


def _page(args: dict, narrowed: views.PersonFilters) -> dict:
    principal = current_principal()
    prefix = hierarchy.area_prefix(principal, args["area"]) if args.get("area") else ""
    items = views.list_persons(principal, prefix, narrowed, args.get("after"), args["limit"])
    return {"persons": items, "next": items[-1]["id"] if len(items) == args["limit"] else None}


@blp.post("/search")
@authenticated()
@blp.arguments(SearchSchema)
@blp.response(200, schemas.PersonPageSchema)
def search(args):
    """People by name (exact, or its beginning), phone number, and every list filter; a POST,
    so the values stay out of URLs and access logs."""
    return _page(args, filters(args))


@blp.get("/<int(max=2147483647):person_id>")
@authenticated()
@blp.response(200, schemas.PersonViewSchema)
def get_person(person_id):
    """A person in your scope."""
    return views.get_person(current_principal(), person_id)


@blp.post("/lookup")
@authenticated()
@blp.arguments(LookupSchema)
@blp.response(200, schemas.PersonViewSchema)
def lookup(args):
    """Find a person in your scope by ID number (through the keyed blind index)."""
    return disclosure.lookup(
        current_principal(), current_app.extensions["vault"], args["id_number"]
    )


@blp.post("/<int(max=2147483647):person_id>/reveal")
@authenticated()
@blp.arguments(RevealSchema)
@blp.response(200, schemas.RevealedSchema)
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
@blp.response(200, Document)
def list_transfers(args):
    """Transfer requests into or out of your areas: the person's record only to their side."""
    return {"transfers": desk.list_transfers(current_principal(), args["status"])}


@blp.post("/transfers/<int:transfer_id>/decide")
@authenticated("street_staff", "district_staff")
@blp.arguments(DecisionSchema)
@blp.response(200, Document)
def decide_transfer(args, transfer_id):
    """Accept (the person moves, dated when the device saw them) or refuse, with a reason."""
    w = Writer(current_principal(), None, current_app.extensions["vault"], current_codes())
    return desk.decide(w, transfer_id, args["decision"], args["reason"])
