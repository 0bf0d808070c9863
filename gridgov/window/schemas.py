"""What the window's clerk sends and is answered."""

from marshmallow import fields, validate

from gridgov.people.schemas import PersonViewSchema
from gridgov.schema import Schema

CAPTURE_METHODS = ("card_reader", "typed")


class WindowPersonSchema(Schema):
    person = fields.Dict(
        required=True,
        metadata={
            "description": "the person block, as the `data` of an upload's PersonUpsertRecord "
            "(id_number, name, sex, kind, house_code, floating/resident, ...); on a correction "
            "fields left out keep their stored values"
        },
    )
    capture_method = fields.String(
        required=True,
        validate=validate.OneOf(CAPTURE_METHODS),
        metadata={"description": "how the ID number was taken: read from the card, or typed"},
    )
    base_version = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        load_default=None,
        metadata={"description": "a correction: the version the clerk read (absent: new)"},
    )


class WindowOutcomeSchema(Schema):
    outcome = fields.String(
        metadata={"enum": ["created", "updated", "unchanged", "transfer_requested"]}
    )
    status = fields.Integer()
    key = fields.String(metadata={"description": "the person's id (a transfer: the request's)"})
    version = fields.Integer()
    flags = fields.List(fields.String(), metadata={"description": "e.g. sex_mismatch"})
    detail = fields.String()
    person = fields.Nested(PersonViewSchema, allow_none=True, metadata={"description": "masked"})
