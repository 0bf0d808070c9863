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
    id_number = fields.String(required=True)
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
    """delete and move name the person by ID number; a move names the new house."""

    id_number = fields.String(required=True)
    house_code = fields.String(validate=HOUSE_CODE)
    moved_in = fields.Date(validate=past)


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
