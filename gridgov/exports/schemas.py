"""Query arguments of the export API."""

from marshmallow import fields, validate

from gridgov.exports.service import FORMATS, KINDS
from gridgov.hierarchy.schemas import AREA_CODE
from gridgov.houses.routes import HousesArgsSchema
from gridgov.people.routes import PersonsArgsSchema
from gridgov.stats.schemas import (
    FeaturesQueryArgsSchema,
    SeriesQueryArgsSchema,
    StatsQueryArgsSchema,
)

FORMAT = validate.OneOf(FORMATS, error="must be one of csv, xlsx")


def format_field():
    # data_key: 'format' is a Python built-in
    return fields.String(
        data_key="format",
        load_default="csv",
        validate=FORMAT,
        metadata={"description": "csv or xlsx"},
    )


class StatsExportArgsSchema(StatsQueryArgsSchema):
    fmt = format_field()


class SeriesExportArgsSchema(SeriesQueryArgsSchema):
    fmt = format_field()


class FeaturesExportArgsSchema(FeaturesQueryArgsSchema):
    """The choropleth's arguments; the file is GeoJSON."""


class HousesExportArgsSchema(HousesArgsSchema):
    """The house list's filters; no paging (the file holds every row)."""

    class Meta:
        exclude = ("after", "limit")

    fmt = format_field()


class PersonsExportArgsSchema(PersonsArgsSchema):
    """The person list's filters but the house (one house's occupants are not an export);
    no paging (the file holds every row)."""

    class Meta:
        exclude = ("after", "limit", "house")

    area = fields.String(required=True, validate=AREA_CODE)
    kind = fields.String(
        validate=validate.OneOf(KINDS, error="must be one of resident, floating"),
        metadata={"description": "resident or floating (default: everyone)"},
    )
    fmt = format_field()
