"""Query arguments of the export API."""

from marshmallow import fields, validate

from gridgov.exports.models import STATES
from gridgov.exports.service import FORMATS, KINDS
from gridgov.hierarchy.schemas import AREA_CODE
from gridgov.houses.routes import HousesArgsSchema
from gridgov.people.routes import PersonsArgsSchema
from gridgov.schema import Schema
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


def async_field():
    # data_key: 'async' is a Python keyword
    return fields.Boolean(
        data_key="async",
        load_default=False,
        metadata={
            "description": "true: answer 202 and write the file as a job (as does the header "
            "Prefer: respond-async, or a list longer than GRIDGOV_EXPORT_JOB_ABOVE_ROWS)"
        },
    )


class StatsExportArgsSchema(StatsQueryArgsSchema):
    fmt = format_field()
    run_async = async_field()


class SeriesExportArgsSchema(SeriesQueryArgsSchema):
    fmt = format_field()
    run_async = async_field()


class FeaturesExportArgsSchema(FeaturesQueryArgsSchema):
    """The choropleth's arguments; the file is GeoJSON."""

    run_async = async_field()


class HousesExportArgsSchema(HousesArgsSchema):
    """The house list's filters; no paging (the file holds every row)."""

    class Meta:
        exclude = ("after", "limit")

    fmt = format_field()
    run_async = async_field()


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
    run_async = async_field()


class JobSchema(Schema):
    """An export job as its requester sees it."""

    id = fields.Integer()
    state = fields.String(metadata={"enum": list(STATES)})
    list = fields.String(metadata={"enum": ["stats", "series", "features", "houses", "persons"]})
    area = fields.String()
    format = fields.String(metadata={"enum": ["csv", "xlsx", "geojson"]})
    rows_total = fields.Integer(allow_none=True, metadata={"description": "known for lists"})
    rows_done = fields.Integer(metadata={"description": "rows written so far"})
    created_at = fields.String(metadata={"format": "date-time"})
    finished_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    expires_at = fields.String(
        allow_none=True,
        metadata={"format": "date-time", "description": "the file is deleted then"},
    )
    file = fields.String(allow_none=True, metadata={"description": "where to download it"})
    error = fields.Dict(allow_none=True, metadata={"description": "why it failed: code, detail"})
