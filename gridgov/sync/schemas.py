"""The upload contract of the handheld app: an envelope per record and the data of each type.

The batch is checked first (size, device); each record is then validated on its own, so one bad
record is rejected with its field errors while the others go through.
"""

from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.houses.schemas import HouseKeySchema, HouseSchema
from gridgov.people.schemas import PersonKeySchema, PersonMoveKeySchema, PersonSchema
from gridgov.records.checks import PositionSchema
from gridgov.schema import Schema
from gridgov.visits.schemas import VisitResultDataSchema

MAX_BATCH = 1000


class RecordSchema(Schema):
    uuid = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(("house", "person", "visit")))
    op = fields.String(
        required=True, validate=validate.OneOf(("upsert", "delete", "move", "result"))
    )
    base_version = fields.Integer(validate=validate.Range(min=1), load_default=None)
    captured_at = fields.AwareDateTime(required=True)
    position = fields.Nested(PositionSchema, load_default=None)
    data = fields.Dict(required=True)

    @validates_schema
    def moves_are_for_people(self, data, **kwargs):
        if data.get("op") == "move" and data.get("type") != "person":
            raise ValidationError("only a person can move", "op")
        if (data.get("op") == "result") != (data.get("type") == "visit"):
            raise ValidationError("a door visit has a result, and only a door visit has", "op")


RECORD = RecordSchema()


# --- the documented shape of each record (the server loads RECORD, then the type's data) ----


def _record_schema(name: str, type_: str, op: str, data_schema) -> type[Schema]:
    """The documented schema of one (type, op) kind of record."""
    return Schema.from_dict(
        {
            "uuid": fields.UUID(
                required=True, metadata={"description": "made by the device; the retry key"}
            ),
            "type": fields.String(required=True, metadata={"enum": [type_]}),
            "op": fields.String(required=True, metadata={"enum": [op]}),
            "base_version": fields.Integer(
                allow_none=True,
                validate=validate.Range(min=1),
                metadata={"description": "the version the device edited (absent: a new record)"},
            ),
            "captured_at": fields.AwareDateTime(
                required=True, metadata={"description": "when the worker captured it (with zone)"}
            ),
            "position": fields.Nested(
                PositionSchema,
                allow_none=True,
                metadata={"description": "the device's position then (the geofence)"},
            ),
            "data": fields.Nested(data_schema, required=True),
        },
        name=name,
    )


RECORD_KINDS = {
    "HouseUpsertRecord": _record_schema("HouseUpsertRecord", "house", "upsert", HouseSchema),
    "HouseDeleteRecord": _record_schema("HouseDeleteRecord", "house", "delete", HouseKeySchema),
    "PersonUpsertRecord": _record_schema("PersonUpsertRecord", "person", "upsert", PersonSchema),
    "PersonMoveRecord": _record_schema("PersonMoveRecord", "person", "move", PersonMoveKeySchema),
    "PersonDeleteRecord": _record_schema("PersonDeleteRecord", "person", "delete", PersonKeySchema),
    "VisitResultRecord": _record_schema(
        "VisitResultRecord", "visit", "result", VisitResultDataSchema
    ),
}


class BatchSchema(Schema):
    device_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    records = fields.List(
        fields.Dict(),
        required=True,
        metadata={"one_of": list(RECORD_KINDS)},
        validate=validate.Length(min=1, max=MAX_BATCH, error=f"must hold 1 to {MAX_BATCH} records"),
    )


class OutcomeSchema(Schema):
    """What became of one record."""

    uuid = fields.String(allow_none=True)
    outcome = fields.String(
        metadata={
            "enum": [
                "created",
                "updated",
                "deleted",
                "unchanged",
                "conflict",
                "rejected",
                "transfer_requested",
                "flagged",
            ],
            "description": "flagged: a door-visit result kept without a valid proof of visit "
            "(flags name each fault)",
        }
    )
    status = fields.Integer(metadata={"description": "the HTTP status it would have alone"})
    key = fields.String(metadata={"description": "house code, or the person's id"})
    version = fields.Integer()
    flags = fields.List(
        fields.String(),
        metadata={
            "description": "sex_mismatch, no_position, position_outside_geofence; a door-visit "
            "result: its proof faults (position_too_far, captured_before_issued, ...)"
        },
    )
    code = fields.String(metadata={"description": "why it was refused or a conflict"})
    detail = fields.String()
    errors = fields.List(fields.Dict(), metadata={"description": "{field, in, message} each"})
    conflict_id = fields.Integer()
    replayed = fields.Boolean(metadata={"description": "a retry: the stored outcome again"})


class UploadResultSchema(Schema):
    results = fields.List(fields.Nested(OutcomeSchema))


class ChangeSchema(Schema):
    seq = fields.Integer()
    type = fields.String(
        metadata={"enum": ["house", "person", "visit"], "description": "visit: a door-visit task"}
    )
    key = fields.String()
    grid = fields.String()
    op = fields.String(
        metadata={
            "enum": ["upsert", "delete", "left"],
            "description": "left: the record is no longer in this cell (drop it)",
        }
    )
    record = fields.Dict(metadata={"description": "upsert: the record as GET serves it"})


class ChangesPageSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema))
    cursor = fields.String(metadata={"description": "pass back as cursor= for what follows"})
    more = fields.Boolean(metadata={"description": "true: ask again at once"})
