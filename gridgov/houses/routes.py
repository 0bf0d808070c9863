"""Desk reads of houses: scoped and masked."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from gridgov.auth.guard import authenticated, current_principal
from gridgov.errors import ValidationFailed
from gridgov.hierarchy import service as hierarchy
from gridgov.hierarchy.schemas import AREA_CODE
from gridgov.houses import service

blp = Blueprint("houses", __name__, url_prefix="/api/v1/houses", description="Houses")


class HousesArgsSchema(Schema):
    area = fields.String(required=True, validate=AREA_CODE)
    after = fields.String(validate=validate.Regexp(r"^\d{25}$"))
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))


@blp.get("")
@authenticated()
@blp.arguments(HousesArgsSchema, location="query")
def list_houses(args):
    """Houses below an area, by code; page with after=<last code>."""
    items = service.list_houses(
        current_principal(),
        hierarchy.area_prefix(current_principal(), args["area"]),
        args.get("after"),
        args["limit"],
    )
    return {"houses": items, "next": items[-1]["code"] if len(items) == args["limit"] else None}


@blp.get("/<code>")
@authenticated()
def get_house(code):
    if not (code.isdigit() and len(code) == 25):
        raise ValidationFailed.field("code", "must be a 25-digit house code", location="path")
    return service.get_house(current_principal(), code)
