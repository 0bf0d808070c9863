"""What a house record holds, as any writer sends it (an upload's `data`, a desk form)."""

from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.records.checks import DIGITS, HOUSE_CODE, PositionSchema, past
from gridgov.schema import Schema


class RentalSchema(Schema):
    landlord_name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    landlord_id_number = fields.String(required=True)
    landlord_phone = fields.String(validate=[DIGITS, validate.Length(min=7, max=20)])
    landlord_address = fields.String(validate=validate.Length(max=200))
    rental_use = fields.String(required=True)
    rented_area = fields.Decimal(places=2, validate=validate.Range(min=0, max=100000))
    hazards = fields.List(fields.String(), load_default=list)
    registered_on = fields.Date(validate=past)


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


class HouseKeySchema(Schema):
    code = fields.String(required=True, validate=HOUSE_CODE)


# Which code table each coded field is checked against.
HOUSE_CODES = {"use": "house_use", "structure": "house_structure"}
RENTAL_CODES = {"rental_use": "rental_use"}

# One instance of each, made once: building a schema copies all its fields, which cost more
# than loading a record with it.
HOUSE = HouseSchema()
HOUSE_KEY = HouseKeySchema()
