"""HTTP routes of the 楼盘表: the buildings of an area, and one building's rooms."""

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import fields, validate

from gridgov.buildings import service
from gridgov.errors import ValidationFailed
from gridgov.extensions import Document
from gridgov.hierarchy import service as hierarchy
from gridgov.hierarchy.schemas import AREA_CODE
from gridgov.schema import Schema
from gridgov.scope.guard import authenticated, current_principal

blp = Blueprint("buildings", __name__, url_prefix="/api/v1", description="Buildings (楼盘表)")

BUILDING_CODE = validate.Regexp(r"^\d{17}$", error="must be a 17-digit building code")


class BuildingsArgsSchema(Schema):
    area = fields.String(required=True, validate=AREA_CODE)
    after = fields.String(validate=BUILDING_CODE)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


@blp.get("/buildings")
@authenticated()
@blp.arguments(BuildingsArgsSchema, location="query")
@blp.response(200, Document)
def list_buildings(args):
    """Buildings below an area by code (community 12 + building number 5), with how many rooms
    are rented, overcrowded and vacant; page with after=<last code>."""
    principal = current_principal()
    items = service.list_buildings(
        principal,
        hierarchy.area_prefix(principal, args["area"]),
        args.get("after"),
        args["limit"],
        current_app.config["GRIDGOV_CROWDED_ABOVE"],
    )
    return {
        "buildings": items,
        "next": items[-1]["code"] if len(items) == args["limit"] else None,
    }


@blp.get("/buildings/<code>")
@authenticated()
@blp.response(200, Document)
def get_building(code):
    """The 楼盘表 of a building: floors (top first) × units × rooms, each room with its status
    (vacant, occupied, rented, overcrowded, hazard) and house code."""
    if not (code.isdigit() and len(code) == 17):
        raise ValidationFailed.field("code", "must be a 17-digit building code", location="path")
    return service.building(current_principal(), code, current_app.config["GRIDGOV_CROWDED_ABOVE"])


@blp.get("/houses/<code>/occupants")
@authenticated()
@blp.response(200, Document)
def house_occupants(code):
    """The people living in a house now (its household), masked."""
    if not (code.isdigit() and len(code) == 25):
        raise ValidationFailed.field("code", "must be a 25-digit house code", location="path")
    return {"persons": service.occupants(current_principal(), code)}
