"""What door-visit requests carry and what their answers hold."""

import math
import re

from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.hierarchy.schemas import AREA_CODE
from gridgov.records.checks import HOUSE_CODE
from gridgov.schema import BIGINT_MAX, Schema
from gridgov.visits.models import RESULTS, TASK_STATES

MAX_CORRECTED = 40  # fields a result may correct
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable_value(value, depth: int = 0) -> str | None:
    """Why a corrected value cannot be kept (JSONB and the sealed copy), or None: text without
    NUL or lone surrogates, numbers a bigint or float holds, nested at most two deep."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            return "must not contain NUL or unpaired surrogate characters"
        return "must be at most 500 characters" if len(value) > 500 else None
    if isinstance(value, int):
        return None if -BIGINT_MAX - 1 <= value <= BIGINT_MAX else "is too large a number"
    if isinstance(value, float):
        return None if math.isfinite(value) else "must be a finite number"
    if depth >= 2:
        return "nests too deep"
    if isinstance(value, dict):
        items = list(value.items())
        if len(items) > MAX_CORRECTED:
            return f"holds more than {MAX_CORRECTED} fields"
        for key, item in items:
            problem = _storable_value(key, depth + 1) or _storable_value(item, depth + 1)
            if problem:
                return f"{key!r}: {problem}" if not _UNSTORABLE.search(key) else problem
        return None
    if isinstance(value, list):
        if len(value) > MAX_CORRECTED:
            return f"holds more than {MAX_CORRECTED} items"
        for item in value:
            problem = _storable_value(item, depth + 1)
            if problem:
                return problem
        return None
    return "is not a JSON value"


def _no_numbers(value: str) -> None:
    """A note is stored as written: an ID or phone number belongs in `corrected`, sealed."""
    if re.search(r"\d{7,}", value):
        raise ValidationError("must not hold an ID or phone number (put it in corrected)")


class VisitResultDataSchema(Schema):
    """The `data` of a door-visit result in an upload."""

    task_id = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(1, BIGINT_MAX),
        metadata={"description": "the task's id, as the change feed served it"},
    )
    result = fields.String(
        required=True,
        validate=validate.OneOf(RESULTS),
        metadata={"description": "confirmed, differs (with corrected), nobody_there, refused"},
    )
    corrected = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 50)),
        load_default=None,
        metadata={
            "description": "differs: the fields as found at the door (person or house fields, "
            "e.g. phone, name, occupation, floating.residence_type)"
        },
    )
    note = fields.String(
        validate=[validate.Length(max=500), _no_numbers],
        load_default=None,
        metadata={"description": "a remark for the desk (no ID or phone numbers)"},
    )

    @validates_schema
    def corrections_when_it_differs(self, data, **kwargs):
        corrected = data.get("corrected")
        if data.get("result") == "differs" and not corrected:
            raise ValidationError("a result that differs says what was found", "corrected")
        if data.get("result") != "differs" and corrected:
            raise ValidationError("only a result that differs corrects fields", "corrected")
        if corrected and (problem := _storable_value(corrected)):
            raise ValidationError(problem, "corrected")


VISIT_RESULT_DATA = VisitResultDataSchema()


class IssueSchema(Schema):
    house_code = fields.String(required=True, validate=HOUSE_CODE)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class WithdrawSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class VisitsArgsSchema(Schema):
    state = fields.String(validate=validate.OneOf(TASK_STATES))
    area = fields.String(
        validate=AREA_CODE,
        metadata={"description": "a street, community or grid cell (default: all of yours)"},
    )
    after = fields.Integer(validate=validate.Range(min=0, max=BIGINT_MAX))
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))


class AddressSchema(Schema):
    compound = fields.String()
    building = fields.String()
    unit = fields.String()
    floor = fields.Integer()
    room = fields.String()


class VisitResultViewSchema(Schema):
    id = fields.Integer()
    result = fields.String(metadata={"enum": list(RESULTS)})
    proof_ok = fields.Boolean()
    proof_faults = fields.List(fields.String(), metadata={"description": "each fault named"})
    distance_m = fields.Float(allow_none=True, metadata={"description": "from the house's point"})
    captured_at = fields.String()
    received_at = fields.String()
    uploaded_by = fields.String()
    device_id = fields.String(allow_none=True)
    corrected = fields.Dict(allow_none=True, metadata={"description": "personal values masked"})
    note = fields.String(allow_none=True)


class VisitViewSchema(Schema):
    id = fields.Integer()
    house = fields.String(metadata={"description": "the house code"})
    grid = fields.String(metadata={"description": "the house's grid cell when issued"})
    address = fields.Nested(AddressSchema)
    location = fields.List(fields.Float(), allow_none=True, metadata={"description": "lon, lat"})
    subject_type = fields.String(metadata={"description": "house_check, or another package's"})
    subject_id = fields.Integer()
    subject = fields.Dict(allow_none=True, metadata={"description": "what to check, masked"})
    reason = fields.String()
    state = fields.String(metadata={"enum": list(TASK_STATES)})
    issued_at = fields.String()
    issued_by = fields.String(allow_none=True, metadata={"description": "null: a rule did"})
    done_at = fields.String(allow_none=True)
    withdrawn_at = fields.String(allow_none=True)
    withdrawn_reason = fields.String(allow_none=True)
    results = fields.List(fields.Nested(VisitResultViewSchema))


class VisitPageSchema(Schema):
    visits = fields.List(fields.Nested(VisitViewSchema))
    next = fields.Integer(allow_none=True, metadata={"description": "pass as after= for more"})
