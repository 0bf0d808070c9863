"""The upload contract of the handheld app: an envelope per record and the data of each type.

The batch is checked first (size, device); each record is then validated on its own, so one bad
record is rejected with its field errors while the others go through.
"""

from datetime import date

from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.geo import CRS_NAMES
from gridgov.schema import Schema

MAX_BATCH = 1000
DIGITS = validate.Regexp(r"^\d+$", error="must be digits only")
HOUSE_CODE = validate.Regexp(r"^\d{25}$", error="must be a 25-digit house code")


class PositionSchema(Schema):
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    crs = fields.String(required=True, validate=validate.OneOf(CRS_NAMES))


class BatchSchema(Schema):
    device_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    records = fields.List(
        fields.Dict(),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH, error=f"must hold 1 to {MAX_BATCH} records"),
    )


class RecordSchema(Schema):
    uuid = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(("house", "person")))
    op = fields.String(required=True, validate=validate.OneOf(("upsert", "delete", "move")))
    base_version = fields.Integer(validate=validate.Range(min=1), load_default=None)
    captured_at = fields.AwareDateTime(required=True)
    position = fields.Nested(PositionSchema, load_default=None)
    data = fields.Dict(required=True)

    @validates_schema
    def moves_are_for_people(self, data, **kwargs):
        if data.get("op") == "move" and data.get("type") != "person":
            raise ValidationError("only a person can move", "op")


def _past(value: date) -> None:
    if value > date.today():
        raise ValidationError("must not be in the future")


class RentalSchema(Schema):
    landlord_name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    landlord_id_number = fields.String(required=True)
    landlord_phone = fields.String(validate=[DIGITS, validate.Length(min=7, max=20)])
    landlord_address = fields.String(validate=validate.Length(max=200))
    rental_use = fields.String(required=True)
    rented_area = fields.Decimal(places=2, validate=validate.Range(min=0, max=100000))
    hazards = fields.List(fields.String(), load_default=list)
    registered_on = fields.Date(validate=_past)


class HouseSchema(Schema):
    code = fields.String(validate=HOUSE_CODE)
    compound = fields.String(required=True, validate=validate.Length(min=1, max=100))
    building = fields.String(required=True, validate=validate.Length(min=1, max=30))
    unit = fields.String(load_default="", validate=validate.Length(max=10))
    floor = fields.Integer(required=True, validate=validate.Range(0, 999))
    room = fields.String(required=True, validate=validate.Length(min=1, max=20))
    use = fields.String(required=True)
    structure = fields.String()
    floor_area = fields.Decimal(places=2, validate=validate.Range(min=0, max=100000))
    owner_name = fields.String(validate=validate.Length(max=50))
    owner_id_number = fields.String()
    rented = fields.Boolean(load_default=False)
    location = fields.Nested(PositionSchema, required=True)
    rental = fields.Nested(RentalSchema, load_default=None)

    @validates_schema
    def rented_needs_rental(self, data, **kwargs):
        if data.get("rented") and not data.get("rental"):
            raise ValidationError("a rented house needs its rental details", "rental")


class ResidentSchema(Schema):
    household_no = fields.String(validate=validate.Length(max=30))
    head_name = fields.String(validate=validate.Length(max=50))
    relationship = fields.String()


class FloatingSchema(Schema):
    inflow_reason = fields.String(required=True)
    arrival_date = fields.Date(required=True, validate=_past)
    origin_code = fields.String(
        required=True, validate=validate.Regexp(r"^(\d{6}|\d{12})$", error="must be 6 or 12 digits")
    )
    certificate_type = fields.String()
    certificate_no = fields.String(validate=validate.Length(max=40))
    registered_on = fields.Date(validate=_past)
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
    moved_in = fields.Date(validate=_past)
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
    moved_in = fields.Date(validate=_past)


class HouseKeySchema(Schema):
    code = fields.String(required=True, validate=HOUSE_CODE)


# Which code table each coded field is checked against.
HOUSE_CODES = {"use": "house_use", "structure": "house_structure"}
RENTAL_CODES = {"rental_use": "rental_use"}
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

# One instance of each, made once: building a schema copies all its fields, which cost more
# than loading a record with it.
RECORD = RecordSchema()
HOUSE = HouseSchema()
HOUSE_KEY = HouseKeySchema()
PERSON = PersonSchema()
PERSON_KEY = PersonKeySchema()
