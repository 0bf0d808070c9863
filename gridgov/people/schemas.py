"""What a person record holds, as any writer sends it (an upload's `data`, a desk form)."""

from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.records.checks import DIGITS, HOUSE_CODE, past
from gridgov.schema import Schema


class ResidentSchema(Schema):
    household_no = fields.String(validate=validate.Length(max=30))
    head_name = fields.String(validate=validate.Length(max=50))
    relationship = fields.String()


class FloatingSchema(Schema):
    inflow_reason = fields.String(required=True)
    arrival_date = fields.Date(required=True, validate=past)
    origin_code = fields.String(
        required=True, validate=validate.Regexp(r"^(\d{6}|\d{12})$", error="must be 6 or 12 digits")
    )
    certificate_type = fields.String()
    certificate_no = fields.String(validate=validate.Length(max=40))
    registered_on = fields.Date(validate=past)
    expires_on = fields.Date()
    residence_type = fields.String(required=True)
    intended_stay = fields.String()
    special_concern = fields.Boolean(load_default=False)


class PersonSchema(Schema):
    """A person record. To edit someone on record, name them by `id` (the server's key, as
    GET /persons serves it) or by `id_number`; fields left out keep their stored values, and a
    masked value sent back as it was served (`138****5678`) means "unchanged"."""

    id = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "the server's key of someone on record (edits)"},
    )
    id_number = fields.String(
        required=True,
        metadata={"description": "18-digit ID or permit number; may be left out with `id`"},
    )
    capture_method = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    former_name = fields.String(validate=validate.Length(max=50))
    sex = fields.String(required=True)
    ethnicity = fields.String()
    phone = fields.String(validate=[DIGITS, validate.Length(min=7, max=20)])
    kind = fields.String(required=True, validate=validate.OneOf(("resident", "floating")))
    house_code = fields.String(required=True, validate=HOUSE_CODE)
    moved_in = fields.Date(validate=past)
    marital_status = fields.String()
    political_status = fields.String()
    education = fields.String()
    religion = fields.String(validate=validate.Length(max=30))
    occupation = fields.String(validate=validate.Length(max=50))
    workplace = fields.String(validate=validate.Length(max=100))
    hukou_address = fields.String(validate=validate.Length(max=200))
    resident = fields.Nested(ResidentSchema, load_default=None)
    floating = fields.Nested(FloatingSchema, load_default=None)

    @validates_schema
    def block_for_kind(self, data, **kwargs):
        if data.get("kind") == "floating" and not data.get("floating"):
            raise ValidationError("a floating person needs the floating block", "floating")


class PersonKeySchema(Schema):
    """delete and move name the person by `id` (the server's key) or by ID number; a move
    names the new house."""

    id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    id_number = fields.String()

    @validates_schema
    def names_someone(self, data, **kwargs):
        if data.get("id") is None and not data.get("id_number"):
            raise ValidationError("name the person by id or by id_number", "id_number")

    house_code = fields.String(validate=HOUSE_CODE)
    moved_in = fields.Date(validate=past)


class PersonMoveKeySchema(PersonKeySchema):
    """A move: whom, and the house they move to (documentation of PersonKeySchema's rule)."""

    house_code = fields.String(required=True, validate=HOUSE_CODE)


# Fields kept in a person's `details`.
DETAIL_FIELDS = (
    "former_name",
    "marital_status",
    "political_status",
    "education",
    "religion",
    "occupation",
    "workplace",
    "hukou_address",
)

# Which code table each coded field is checked against.
PERSON_CODES = {
    "capture_method": "capture_method",
    "sex": "sex",
    "ethnicity": "ethnicity",
    "marital_status": "marital_status",
    "political_status": "political_status",
    "education": "education",
}
RESIDENT_CODES = {"relationship": "relationship"}
FLOATING_CODES = {
    "inflow_reason": "inflow_reason",
    "certificate_type": "certificate_type",
    "residence_type": "residence_type",
    "intended_stay": "intended_stay",
}

PERSON = PersonSchema()
PERSON_KEY = PersonKeySchema()


# --- what the server sends -------------------------------------------------------------------


class PersonViewSchema(Schema):
    """A person as a scoped reader sees them: ID and phone numbers masked."""

    id = fields.Integer(metadata={"description": "the server's key of the person"})
    id_number = fields.String(metadata={"description": "masked", "example": "440303********1234"})
    id_kind = fields.String()
    name = fields.String()
    sex = fields.String(metadata={"description": "code table sex"})
    sex_mismatch = fields.Boolean(
        metadata={"description": "the sex differs from the ID number's sex digit"}
    )
    birth_year = fields.Integer(
        metadata={"description": "the year only: with the masked ID number a date would give it"}
    )
    ethnicity = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "masked"})
    kind = fields.String(metadata={"enum": ["resident", "floating"]})
    house = fields.String(allow_none=True, metadata={"description": "code of their house"})
    grid = fields.String(allow_none=True)
    origin_code = fields.String(allow_none=True)
    inflow_reason = fields.String(allow_none=True)
    arrival_date = fields.String(allow_none=True, metadata={"format": "date"})
    special_concern = fields.Boolean()
    details = fields.Dict(metadata={"description": "the record's other fields, as sent"})
    capture_method = fields.String()
    version = fields.Integer(metadata={"description": "send it back as base_version to edit"})
    deleted = fields.Boolean()


class PersonPageSchema(Schema):
    persons = fields.List(fields.Nested(PersonViewSchema))
    next = fields.Integer(allow_none=True, metadata={"description": "pass as after= for more"})


class RevealedSchema(Schema):
    id = fields.Integer()
    field = fields.String(metadata={"enum": ["id_number", "phone"]})
    value = fields.String(metadata={"description": "in full: audited"})
