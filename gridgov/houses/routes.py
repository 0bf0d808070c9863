"""Desk reads of houses: scoped and masked; and houses as vector tiles for the map."""

from flask import Response, current_app
from marshmallow import fields, validate

from gridgov.errors import ValidationFailed
from gridgov.extensions import BINARY, Blueprint
from gridgov.hierarchy import service as hierarchy
from gridgov.hierarchy.schemas import AREA_CODE
from gridgov.houses import schemas, tiles, views
from gridgov.schema import Schema
from gridgov.scope.guard import authenticated, current_principal

# One blueprint for /houses and /tiles/houses, so the paths below are relative to /api/v1.
blp = Blueprint("houses", __name__, url_prefix="/api/v1", description="Houses")


class HousesArgsSchema(Schema):
    area = fields.String(required=True, validate=AREA_CODE)
    compound = fields.String(validate=validate.Length(min=1, max=100))
    building = fields.String(validate=validate.Length(min=1, max=30))
    rented = fields.Boolean()
    hazard = fields.Boolean(metadata={"description": "true: rented houses with a hazard"})
    overcrowded = fields.Boolean(
        metadata={"description": "true: rented houses with more people than the limit (群租)"}
    )
    after = fields.String(validate=validate.Regexp(r"^\d{25}$"))
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))


@blp.get("/houses")
@authenticated()
@blp.arguments(HousesArgsSchema, location="query")
@blp.response(200, schemas.HousePageSchema)
def list_houses(args):
    """Houses below an area, by code, narrowed by compound, building, rented, hazard or
    overcrowded; page with after=<last code>."""
    principal = current_principal()
    prefix = hierarchy.area_prefix(principal, args["area"])
    items = views.list_houses(principal, prefix, args.get("after"), args["limit"], filters(args))
    return {"houses": items, "next": items[-1]["code"] if len(items) == args["limit"] else None}


def filters(args: dict) -> views.HouseFilters:
    """The list filters of a request (the export of houses applies them too)."""
    return views.HouseFilters(
        compound=args.get("compound"),
        building=args.get("building"),
        rented=args.get("rented"),
        hazard=args.get("hazard"),
        crowded_above=(
            current_app.config["GRIDGOV_CROWDED_ABOVE"] if args.get("overcrowded") else None
        ),
    )


@blp.get("/houses/<code>", parameters=[schemas.house_code_param()])
@authenticated()
@blp.response(200, schemas.HouseViewSchema)
def get_house(code):
    """A house in your scope."""
    return views.get_house(current_principal(), path_house_code(code))


def path_house_code(code: str) -> str:
    if not (code.isdigit() and len(code) == 25):
        raise ValidationFailed.field("code", "must be a 25-digit house code", location="path")
    return code


@blp.get("/tiles/houses/<int:z>/<int:x>/<int:y>.mvt")
@authenticated()
@blp.response(200, BINARY, content_type="application/vnd.mapbox-vector-tile")
def house_tile(z, x, y):
    """Houses in your scope as a Mapbox Vector Tile (layer 'houses': code, grid, use, rented,
    occupants, overcrowded: rented with more people than the limit), from zoom 14 to 22, Web
    Mercator XYZ numbering."""
    if not tiles.MIN_ZOOM <= z <= tiles.MAX_ZOOM:
        raise ValidationFailed.field(
            "z",
            f"must be between {tiles.MIN_ZOOM} and {tiles.MAX_ZOOM}: houses are drawn from "
            f"zoom {tiles.MIN_ZOOM}, below it use the grid tiles",
            location="path",
        )
    for name, value in (("x", x), ("y", y)):
        if value >= 2**z:
            raise ValidationFailed.field(name, f"must be below 2^z = {2**z}", location="path")
    return Response(
        tiles.house_tile(current_principal(), z, x, y, current_app.config["GRIDGOV_CROWDED_ABOVE"]),
        mimetype="application/vnd.mapbox-vector-tile",
        headers={"Cache-Control": "private, max-age=60"},
    )
