"""What a resident declares, and what the public and the desk are shown. The person, floating
and address fields are the record schemas' own (people/schemas.py, houses/schemas.py): one
owner for each rule."""

from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.declarations.models import ROUTES, STATES
from gridgov.declarations.rules import KINDS
from gridgov.houses.schemas import HouseSchema, RentalSchema
from gridgov.people.schemas import FloatingSchema, PersonSchema
from gridgov.records.checks import HOUSE_CODE
from gridgov.schema import Schema

HOUSEHOLD_MAX = 10


class DeclaredPersonSchema(PersonSchema):
    """A person as a resident declares them: the record's person block without the server's
    key, house and household fields (the declaration names the house once, for everyone)."""

    class Meta:
        exclude = ("id", "house_code", "moved_in", "resident", "floating")

    capture_method = fields.String(
        load_default="typed", metadata={"description": "typed, or card_reader at a hall kiosk"}
    )

    def block_for_kind(self, data, **kwargs):
        """Not here: the floating block is the declaration's (DeclarationSchema checks it)."""


class LeaseSchema(Schema):
    landlord_name = RentalSchema._declared_fields["landlord_name"]
    landlord_phone = RentalSchema._declared_fields["landlord_phone"]
    start = fields.Date(required=True)
    end = fields.Date(required=True)

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError("the lease must not end before it starts", "end")


class DeclaredFloatingSchema(FloatingSchema):
    """The floating block; origin_code may be left out (the ID number's region is taken)."""

    class Meta:
        exclude = ("certificate_type", "certificate_no", "registered_on", "expires_on")

    origin_code = fields.String(
        validate=validate.Regexp(r"^(\d{6}|\d{12})$", error="must be 6 or 12 digits")
    )
    lease = fields.Nested(LeaseSchema)


class DeclaredAddressSchema(Schema):
    """A house picked by its address in a community of the district."""

    community_code = fields.String(
        required=True, validate=validate.Regexp(r"^\d{12}$", error="must be 12 digits")
    )
    compound = HouseSchema._declared_fields["compound"]
    building = HouseSchema._declared_fields["building"]
    unit = HouseSchema._declared_fields["unit"]
    room = HouseSchema._declared_fields["room"]


class DeclarationSchema(Schema):
    person = fields.Nested(DeclaredPersonSchema, required=True)
    house_code = fields.String(validate=HOUSE_CODE, metadata={"description": "from the door plate"})
    address = fields.Nested(
        DeclaredAddressSchema, metadata={"description": "or the house's address"}
    )
    floating = fields.Nested(DeclaredFloatingSchema)
    household = fields.List(
        fields.Nested(DeclaredPersonSchema),
        load_default=list,
        validate=validate.Length(max=HOUSEHOLD_MAX),
        metadata={"description": "the people living with them (floating ones share the block)"},
    )

    @validates_schema
    def one_house(self, data, **kwargs):
        if ("house_code" in data) == ("address" in data):
            raise ValidationError("name the house by exactly one of house_code and address")

    @validates_schema
    def floating_block(self, data, **kwargs):
        people = [data.get("person") or {}, *data.get("household", [])]
        if any(p.get("kind") == "floating" for p in people) and not data.get("floating"):
            raise ValidationError("a floating person needs the floating block", "floating")


class MemberSubmittedSchema(Schema):
    reference = fields.String(metadata={"example": "SBK7Q2M4X9T3PA"})
    state = fields.String(metadata={"enum": list(STATES)})
    route = fields.String(allow_none=True, metadata={"enum": list(ROUTES)})
    submitted_at = fields.DateTime()


class SubmittedSchema(MemberSubmittedSchema):
    household = fields.List(
        fields.Nested(MemberSubmittedSchema),
        metadata={"description": "Each household member's own declaration"},
    )


class StatusArgsSchema(Schema):
    id_last4 = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9]{3}[0-9Xx]$", error="must be the last 4 characters"),
    )


class DeclarationWithdrawSchema(StatusArgsSchema):
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "why, in the resident's words (optional)"},
    )


class PlaceStreetSchema(Schema):
    code = fields.String()
    name = fields.String()


class PlaceCommunitySchema(PlaceStreetSchema):
    parent = fields.String(metadata={"description": "its street's code"})


class PlacesSchema(Schema):
    streets = fields.List(fields.Nested(PlaceStreetSchema))
    communities = fields.List(fields.Nested(PlaceCommunitySchema))


class PlaceUnitSchema(Schema):
    name = fields.String(metadata={"description": "empty: a building without units"})
    rooms = fields.List(fields.String())


class PlaceBuildingSchema(Schema):
    name = fields.String()
    units = fields.List(fields.Nested(PlaceUnitSchema))


class PlaceCompoundSchema(Schema):
    name = fields.String()
    buildings = fields.List(fields.Nested(PlaceBuildingSchema))


class CommunityPlacesSchema(Schema):
    community = fields.Nested(PlaceStreetSchema)
    compounds = fields.List(fields.Nested(PlaceCompoundSchema))


class EventSchema(Schema):
    state = fields.String()
    at = fields.DateTime()


class StatusSchema(Schema):
    reference = fields.String()
    state = fields.String(metadata={"enum": list(STATES)})
    route = fields.String(allow_none=True)
    submitted_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "why it was rejected"})
    events = fields.List(fields.Nested(EventSchema))
    person = fields.Dict(metadata={"description": "masked values only"})


class QueueArgsSchema(Schema):
    state = fields.String(validate=validate.OneOf(STATES))
    route = fields.String(validate=validate.OneOf(ROUTES))
    area = fields.String(
        validate=validate.Regexp(r"^\d{12}$", error="must be a 12-digit street or community code")
    )
    after = fields.Integer(validate=validate.Range(min=0, max=2**63 - 1))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class DecideSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject", "visit")))
    reason = fields.String(load_default="", validate=validate.Length(max=200))
    confirm_stale = fields.Boolean(load_default=False)


class BulkDecideSchema(Schema):
    ids = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=2**63 - 1)),
        required=True,
        validate=validate.Length(min=1, max=200),
    )
    decision = fields.String(required=True, validate=validate.OneOf(("approve",)))


class RuleSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    kind = fields.String(required=True, validate=validate.OneOf(tuple(KINDS)))
    params = fields.Dict(load_default=dict)
    route = fields.String(required=True, validate=validate.OneOf(ROUTES))


class RulesPutSchema(Schema):
    rules = fields.List(fields.Nested(RuleSchema), required=True, validate=validate.Length(max=50))
    sample_rate = fields.Float(required=True, allow_nan=False, validate=validate.Range(0, 1))
