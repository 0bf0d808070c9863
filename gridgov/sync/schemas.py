"""The upload contract of the handheld app: an envelope per record and the data of each type.

The batch is checked first (size, device); each record is then validated on its own, so one bad
record is rejected with its field errors while the others go through.
"""

from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.records.checks import PositionSchema
from gridgov.schema import Schema

MAX_BATCH = 1000


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


RECORD = RecordSchema()
