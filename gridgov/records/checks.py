"""Checks every record type makes: coded fields against the code tables, ID numbers, dates."""

from datetime import date

from marshmallow import ValidationError, fields, validate
from marshmallow import ValidationError as MarshmallowError

from gridgov import idnumber
from gridgov.clock import district_today
from gridgov.errors import ValidationFailed, field_error
from gridgov.geo import CRS_NAMES
from gridgov.schema import Schema

DIGITS = validate.Regexp(r"^\d+$", error="must be digits only")
HOUSE_CODE_PATTERN = r"^\d{25}$"
HOUSE_CODE = validate.Regexp(HOUSE_CODE_PATTERN, error="must be a 25-digit house code")


class PositionSchema(Schema):
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    crs = fields.String(required=True, validate=validate.OneOf(CRS_NAMES))


def past(value: date) -> None:
    if value > district_today():
        raise ValidationError("must not be in the future")


def load(schema: Schema, raw: dict, prefix: str = "data.") -> dict:
    """A record's data loaded with its schema; every field error named with its full path."""
    try:
        return schema.load(raw)
    except MarshmallowError as e:
        raise ValidationFailed.of_schema(e.messages, prefix) from None


def check_codes(data: dict, fields_to_tables: dict[str, str], codes, prefix: str = "") -> list:
    errors = []
    for name, table in fields_to_tables.items():
        value = data.get(name)
        values = value if isinstance(value, list) else [value] if value is not None else []
        for item in values:
            if item not in codes.get(table, ()):
                errors.append(field_error(f"{prefix}{name}", f"{item!r} is not a code of {table}"))
    return errors


def refuse(errors: list[dict]) -> None:
    if errors:
        raise ValidationFailed("; ".join(e["message"] for e in errors), errors=errors)


def parse_id(value: str, where: str, today: date) -> idnumber.IdNumber:
    try:
        return idnumber.parse(value, today)
    except idnumber.IdNumberError as e:
        raise ValidationFailed(
            f"{where}: {e}", errors=[field_error(where, f"{e} ({e.rule})")]
        ) from None


def sealed_id(vault, number: str, purpose: str) -> tuple[bytes, bytes, str]:
    """(sealed, blind index, masked) of a normalised ID number."""
    return vault.seal(number, purpose), vault.index(number, "id_number"), idnumber.mask(number)
