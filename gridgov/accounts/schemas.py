from marshmallow import fields, validate

from gridgov.accounts.models import ROLES
from gridgov.schema import Schema

USERNAME = validate.Regexp(
    r"^[A-Za-z0-9_.-]{3,64}$", error="3 to 64 letters, digits, dots, dashes or underscores"
)


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(load_default="", validate=validate.Length(max=100))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    areas = fields.List(
        fields.String(), attribute="area_codes", data_key="areas", load_default=list
    )
    active = fields.Boolean(dump_only=True)
    locked_until = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class UserCreateSchema(UserSchema):
    password = fields.String(required=True, load_only=True)


class UserPatchSchema(Schema):
    display_name = fields.String(validate=validate.Length(max=100))
    role = fields.String(validate=validate.OneOf(ROLES))
    areas = fields.List(fields.String())
    active = fields.Boolean()
    password = fields.String(load_only=True)
    unlock = fields.Boolean(load_only=True)
