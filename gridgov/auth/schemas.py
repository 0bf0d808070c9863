from marshmallow import fields, validate

from gridgov.schema import Schema


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=256)
    )


class TokensSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()


class MeSchema(Schema):
    id = fields.Integer(attribute="user_id")
    username = fields.String()
    role = fields.String()
    areas = fields.List(fields.String(), attribute="area_codes")


class DeviceHeaderSchema(Schema):
    device_id = fields.String(
        data_key="X-Device-Id",
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The handheld's id, kept in the audit trail"},
    )
