"""What a house record holds, as any writer sends it (an upload's `data`, a desk form)."""

import re

from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.hierarchy.schemas import path_pattern
from gridgov.houses.numbers import letter
from gridgov.records.checks import DIGITS, HOUSE_CODE, HOUSE_CODE_PATTERN, PositionSchema, past
from gridgov.schema import Schema


def _codable_unit(value: str) -> None:
    k = letter(value)
    if k is not None and (k > 9 or re.search(r"\d", value)):
        raise ValidationError(
            "a lettered unit is a single letter A to I (it becomes code digits 91 to 99)"
        )


def _codable_room(value: str) -> None:
    k = letter(value)
    if k is not None and k > 9:
        raise ValidationError(
            "a subdivided room's letter must be A to I (it becomes a digit of the room code)"
        )


class RentalSchema(Schema):
    landlord_name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    landlord_id_number = fields.String(required=True)
    landlord_phone = fields.String(validate=[DIGITS, validate.Length(min=7, max=20)])
    landlord_address = fields.String(validate=validate.Length(max=200))
    rental_use = fields.String(required=True)
    rented_area = fields.Decimal(
        places=2,
        validate=validate.Range(min=0, max=100000),
        metadata={"minimum": 0, "maximum": 100000, "description": "m²"},
    )
    hazards = fields.List(fields.String(), load_default=list)
    registered_on = fields.Date(validate=past)


class HouseSchema(Schema):
    code = fields.String(validate=HOUSE_CODE)
    compound = fields.String(required=True, validate=validate.Length(min=1, max=100))
    building = fields.String(required=True, validate=validate.Length(min=1, max=30))
    unit = fields.String(load_default="", validate=[validate.Length(max=10), _codable_unit])
    floor = fields.Integer(required=True, validate=validate.Range(0, 999))
    room = fields.String(required=True, validate=[validate.Length(min=1, max=20), _codable_room])
    use = fields.String(required=True)
    structure = fields.String()
    floor_area = fields.Decimal(
        places=2,
        validate=validate.Range(min=0, max=100000),
        metadata={"minimum": 0, "maximum": 100000, "description": "m²"},
    )
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


def house_code_param() -> dict:
    return path_pattern("code", HOUSE_CODE_PATTERN, "house code (25 digits)")


# --- what the server sends -------------------------------------------------------------------


class RentalViewSchema(Schema):
    landlord_name = fields.String()
    landlord_id_number = fields.String(
        metadata={"description": "masked", "example": "440303********1234"}
    )
    landlord_phone = fields.String(allow_none=True, metadata={"description": "masked"})
    landlord_address = fields.String(allow_none=True)
    rental_use = fields.String(metadata={"description": "code table rental_use"})
    rented_area = fields.String(allow_none=True, metadata={"description": "m², a decimal"})
    hazards = fields.List(fields.String(), metadata={"description": "codes of table hazard"})
    registered_on = fields.String(allow_none=True, metadata={"format": "date"})


class HouseViewSchema(Schema):
    """A house as a scoped reader sees it: ID and phone numbers masked."""

    code = fields.String(metadata={"description": "25-digit house code (domain.md §2)"})
    community = fields.String()
    grid = fields.String()
    compound = fields.String()
    building = fields.String()
    unit = fields.String()
    floor = fields.Integer()
    room = fields.String()
    use = fields.String(metadata={"description": "code table house_use"})
    structure = fields.String(allow_none=True)
    floor_area = fields.String(allow_none=True, metadata={"description": "m², a decimal"})
    owner_name = fields.String(allow_none=True)
    owner_id_number = fields.String(allow_none=True, metadata={"description": "masked"})
    rented = fields.Boolean()
    version = fields.Integer(metadata={"description": "send it back as base_version to edit"})
    location = fields.List(fields.Float(), metadata={"description": "[lon, lat], WGS84"})
    deleted = fields.Boolean()
    rental = fields.Nested(RentalViewSchema)


class HousePageSchema(Schema):
    houses = fields.List(fields.Nested(HouseViewSchema))
    next = fields.String(allow_none=True, metadata={"description": "pass as after= for more"})
