from marshmallow import Schema, fields, validate


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
