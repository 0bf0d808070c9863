"""HTTP routes for areas, grid cells, locate, topology checks and grid tiles."""

from flask import Response, current_app

from gridgov.errors import ValidationFailed
from gridgov.extensions import BINARY, Blueprint
from gridgov.hierarchy import schemas, service, topology
from gridgov.hierarchy.schemas import area_code_param, grid_code_param
from gridgov.scope.guard import authenticated, current_principal

blp = Blueprint("hierarchy", __name__, url_prefix="/api/v1", description="Areas and grid cells")

MAX_ZOOM = 22


def path_code(code: str, lengths=(12, 15)) -> str:
    if not (code.isdigit() and len(code) in lengths):
        digits = " or ".join(map(str, lengths))
        raise ValidationFailed.field("code", f"must be a {digits}-digit code", location="path")
    return code


@blp.get("/areas/<code>", parameters=[area_code_param()])
@authenticated()
@blp.response(200, schemas.FeatureSchema)
def get_area(code):
    """An area as a GeoJSON Feature with its level, parent and children codes."""
    return service.get_area(current_principal(), path_code(code))


@blp.get("/areas/<code>/children", parameters=[area_code_param()])
@authenticated()
@blp.response(200, schemas.FeatureCollectionSchema)
def area_children(code):
    """The child areas in force today, as a FeatureCollection."""
    return service.children(current_principal(), path_code(code))


@blp.get("/grids")
@authenticated()
@blp.arguments(schemas.GridsQueryArgsSchema, location="query")
@blp.response(200, schemas.FeatureCollectionSchema)
def list_grids(args):
    """Grid cells inside an area and/or a bounding box."""
    return service.list_grids(
        current_principal(), args.get("area"), args.get("bbox"), args.get("date")
    )


@blp.get("/grids/check")
@authenticated("street_staff", "district_staff", "admin")
@blp.arguments(schemas.CheckQueryArgsSchema, location="query")
@blp.response(200, schemas.CheckReportSchema)
def check_grids(args):
    """Topology check (无缝衔接) of the grid cells below an area."""
    tolerance = args.get("tolerance_m2", current_app.config["GRIDGOV_TOPOLOGY_TOLERANCE_M2"])
    return topology.check_area(
        current_principal(), args["area"], tolerance, skip_ungridded=args["skip_ungridded"]
    )


@blp.get("/grids/<code>", parameters=[grid_code_param()])
@authenticated()
@blp.response(200, schemas.FeatureSchema)
def get_grid(code):
    """One grid cell, open or closed."""
    return service.get_grid(current_principal(), path_code(code, (15,)))


@blp.get("/locate")
@authenticated()
@blp.arguments(schemas.LocateQueryArgsSchema, location="query")
@blp.response(200, schemas.LocateSchema)
def locate(args):
    """The district, street, community and grid cell containing a point."""
    return service.locate(current_principal(), args["lon"], args["lat"], args["crs"])


@blp.get("/tiles/grids/<int:z>/<int:x>/<int:y>.mvt")
@authenticated()
@blp.response(200, BINARY, content_type="application/vnd.mapbox-vector-tile")
def grid_tile(z, x, y):
    """Grid cells as a Mapbox Vector Tile (layer 'grids'), Web Mercator XYZ numbering."""
    if z > MAX_ZOOM:
        raise ValidationFailed.field("z", f"must be between 0 and {MAX_ZOOM}", location="path")
    for name, value in (("x", x), ("y", y)):
        if value >= 2**z:
            raise ValidationFailed.field(name, f"must be below 2^z = {2**z}", location="path")
    tile = service.grid_tile(current_principal(), z, x, y)
    return Response(
        tile,
        mimetype="application/vnd.mapbox-vector-tile",
        headers={"Cache-Control": "private, max-age=60"},
    )
