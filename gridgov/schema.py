"""The base of every schema that loads input: it refuses what PostgreSQL cannot store before
anything reaches the database, naming the field.

Text holding NUL or an unpaired surrogate (JSON can spell both: "\\u0000", "\\ud800") and integers
beyond a bigint otherwise fail only when the statement runs, as a 500 that would sink a whole
upload instead of the one record that carried them. Dict fields are left to the schema that later
loads their contents (an upload's record data), so a bad record is refused alone.
"""

import re
from collections.abc import Mapping

import marshmallow
from marshmallow import ValidationError, fields, pre_load

BIGINT_MAX = 2**63 - 1
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _problem(field: fields.Field, value) -> str | None:
    if isinstance(field, fields.String) and isinstance(value, str):
        if _UNSTORABLE.search(value):
            return "must not contain NUL or unpaired surrogate characters"
    elif isinstance(field, fields.Integer) and not isinstance(value, bool):
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            return None  # the field's own check names the rule
        if not -BIGINT_MAX - 1 <= number <= BIGINT_MAX:
            return f"must be between {-BIGINT_MAX - 1} and {BIGINT_MAX}"
    elif isinstance(field, fields.List) and isinstance(value, list):
        for item in value:
            problem = _problem(field.inner, item)
            if problem:
                return problem
    return None


class Schema(marshmallow.Schema):
    """Every input schema of the API derives from this one."""

    @pre_load
    def _storable(self, data, **kwargs):
        if not isinstance(data, Mapping):
            return data
        errors = {}
        for name, field in self.load_fields.items():
            key = field.data_key or name
            if key in data:
                problem = _problem(field, data[key])
                if problem:
                    errors[key] = [problem]
        if errors:
            raise ValidationError(errors)
        return data
