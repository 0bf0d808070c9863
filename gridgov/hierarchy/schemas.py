"""Request arguments and GeoJSON (RFC 7946) responses for areas and grid cells."""

from marshmallow import ValidationError, fields, pre_dump, validate, validates_schema

from gridgov.extensions import Served
from gridgov.geo import CRS_NAMES
from gridgov.schema import Schema

AREA_CODE_PATTERN = r"^(\d{12}|\d{15})$"
GRID_CODE_PATTERN = r"^\d{15}$"
AREA_CODE = validate.Regexp(
    AREA_CODE_PATTERN, error="must be a 12-digit area code or a 15-digit grid code"
)


def path_pattern(name: str, pattern: str, what: str) -> dict:
    """The OpenAPI description of a path parameter the server checks against `pattern`."""
    return {
        "in": "path",
        "name": name,
        "required": True,
        "description": what,
        "schema": {"type": "string", "pattern": pattern},
    }


def area_code_param() -> dict:
    return path_pattern("code", AREA_CODE_PATTERN, "area code (12 digits) or grid code (15)")


def grid_code_param() -> dict:
    return path_pattern("code", GRID_CODE_PATTERN, "grid code (15 digits)")


class AreaPropertiesSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String(metadata={"description": "district, street, community or grid"})
    parent = fields.String(attribute="parent_code", allow_none=True)
    children = fields.List(fields.String(), allow_none=True)
    grid_type = fields.String(
        allow_none=True, metadata={"description": "general (综合) or dedicated (专属)"}
    )
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)


class FeatureSchema(Schema):
    type = fields.Constant("Feature")
    id = fields.String()
    geometry = fields.Dict(allow_none=True, metadata={"description": "MultiPolygon, WGS84"})
    properties = fields.Nested(AreaPropertiesSchema)

    @pre_dump
    def wrap(self, view, **kwargs):
        return {"id": view.code, "geometry": view.geometry, "properties": view}


class FeatureCollectionSchema(Schema):
    type = fields.Constant("FeatureCollection")
    features = fields.List(fields.Nested(FeatureSchema))

    @pre_dump
    def wrap(self, views, **kwargs):
        return {"features": views}


class BBox(fields.Field):
    """minLon,minLat,maxLon,maxLat in WGS84 degrees."""

    def _deserialize(self, value, attr, data, **kwargs):
        parts = str(value).split(",")
        try:
            box = [float(p) for p in parts]
        except ValueError:
            raise ValidationError("must be four numbers: minLon,minLat,maxLon,maxLat") from None
        if len(box) != 4:
            raise ValidationError("must be four numbers: minLon,minLat,maxLon,maxLat")
        west, south, east, north = box
        if not (
            -180 <= west <= 180
            and -180 <= east <= 180
            and -90 <= south <= 90
            and -90 <= north <= 90
        ):
            raise ValidationError("longitudes must lie in [-180, 180] and latitudes in [-90, 90]")
        if west >= east or south >= north:
            raise ValidationError("minLon must be below maxLon and minLat below maxLat")
        return box


class GridsQueryArgsSchema(Schema):
    area = fields.String(validate=AREA_CODE, metadata={"description": "an area or grid code"})
    bbox = BBox(metadata={"description": "minLon,minLat,maxLon,maxLat (WGS84)"})
    date = fields.Date(metadata={"description": "cells in force on this day (default today)"})

    @validates_schema
    def needs_filter(self, data, **kwargs):
        if "area" not in data and "bbox" not in data:
            raise ValidationError("give area or bbox (or both)", "area")


class LocateQueryArgsSchema(Schema):
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(CRS_NAMES))


class LocatedAreaSchema(Schema):
    code = fields.String()
    name = fields.String()


class LocateSchema(Served):
    # Sent as built: locate is the read devices send most, and the dump cost a tenth of it.
    district = fields.Nested(LocatedAreaSchema, allow_none=True)
    street = fields.Nested(LocatedAreaSchema, allow_none=True)
    community = fields.Nested(LocatedAreaSchema, allow_none=True)
    grid = fields.Nested(LocatedAreaSchema, allow_none=True)
    point = fields.List(fields.Float(), metadata={"description": "the point in WGS84"})


class CheckQueryArgsSchema(Schema):
    area = fields.String(required=True, validate=AREA_CODE)
    tolerance_m2 = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=1_000_000))
    skip_ungridded = fields.Boolean(
        load_default=False,
        metadata={"description": "leave out the gaps of communities that have no cells yet"},
    )


class CheckReportSchema(Schema):
    area = fields.String()
    tolerance_m2 = fields.Float()
    ok = fields.Boolean()
    faults = fields.List(fields.Dict())
