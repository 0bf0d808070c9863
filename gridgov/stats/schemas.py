"""Query arguments and responses of the statistics API."""

from datetime import date

from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.extensions import Served, geometry_field
from gridgov.hierarchy.models import LEVELS
from gridgov.schema import Schema
from gridgov.stats.measures import AGE_BANDS, MEASURES, SERIES_MEASURES

LEVEL_CHOICES = validate.OneOf(LEVELS[1:], error="must be one of street, community, grid")
# Nobody alive was registered before this; earlier dates only overflow date arithmetic.
SINCE = validate.Range(min=date(1900, 1, 1), error="must be 1900-01-01 or later")


class MeasureList(fields.Field):
    """A comma-separated list of measure names."""

    def _deserialize(self, value, attr, data, **kwargs):
        names = [n.strip() for n in str(value).split(",") if n.strip()]
        unknown = [n for n in names if n not in MEASURES]
        if unknown or not names:
            raise ValidationError(
                f"unknown measure(s) {', '.join(unknown) or '(none given)'}; "
                f"known: {', '.join(MEASURES)}"
            )
        return tuple(dict.fromkeys(names))


class Month(fields.Field):
    """YYYY-MM, as the first day of that month."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            year, month = str(value).split("-")
            first = date(int(year), int(month), 1)
        except ValueError:
            raise ValidationError("must be a month as YYYY-MM") from None
        if first.year < 1900:
            raise ValidationError("must be 1900-01 or later")
        return first


class StatsQueryArgsSchema(Schema):
    by = fields.String(validate=LEVEL_CHOICES, metadata={"description": "children of this level"})
    as_of = fields.Date(validate=SINCE, metadata={"description": "the day counted (default today)"})
    measures = MeasureList(metadata={"description": f"comma-separated, from {', '.join(MEASURES)}"})
    # data_key: 'from' is a Python keyword
    start = fields.Date(
        data_key="from", validate=SINCE, metadata={"description": "period start (arrivals)"}
    )
    stop = fields.Date(
        data_key="to", validate=SINCE, metadata={"description": "period end (default as_of)"}
    )

    @validates_schema
    def period_in_order(self, data, **kwargs):
        if data.get("start") and data.get("stop") and data["start"] > data["stop"]:
            raise ValidationError("must not be after 'to'", "from")


class FeaturesQueryArgsSchema(StatsQueryArgsSchema):
    by = fields.String(required=True, validate=LEVEL_CHOICES)


class SeriesQueryArgsSchema(Schema):
    start = Month(data_key="from", required=True, metadata={"description": "first month, YYYY-MM"})
    stop = Month(data_key="to", required=True, metadata={"description": "last month, YYYY-MM"})

    @validates_schema
    def in_order(self, data, **kwargs):
        if data["start"] > data["stop"]:
            raise ValidationError("must not be after 'to'", "from")


# Responses: documented exactly, sent as the service builds them (gridgov.extensions.Served).


def _count(description: str) -> fields.Integer:
    return fields.Integer(metadata={"description": description, "minimum": 0})


def _counts_by(description: str, **key) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(**key), values=fields.Integer(), metadata={"description": description}
    )


class MeasureValuesSchema(Schema):
    """The measures asked for (`measures`), each present only when asked."""

    population = _count("people living in the area on the day")
    residents = _count("registered residents (户籍人口)")
    floating = _count("floating population (流动人口)")
    households = _count("houses with at least one occupant")
    houses = _count("houses standing")
    vacant = _count("houses without occupants")
    rentals = _count("rented houses")
    tenants = _count("people living in rented houses")
    people_per_rental = fields.Float(
        allow_none=True, metadata={"description": "tenants / rentals; null without rentals"}
    )
    overcrowded_rentals = _count("rentals with more occupants than GRIDGOV_CROWDED_ABOVE")
    floating_by_province = _counts_by(
        "floating people by the province of origin (2 digits of GB/T 2260)"
    )
    floating_by_reason = _counts_by("floating people by reason of moving in (code)")
    age_bands = _counts_by(
        "people by age band in completed years", validate=validate.OneOf(AGE_BANDS)
    )
    arrivals = _count("residences begun in the period from beyond the area")
    departures = _count("residences ended in the period to beyond the area")


class StatsAreaSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))


class StatsChildSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    values = fields.Nested(MeasureValuesSchema, required=True)


class StatisticsSchema(Served):
    area = fields.Nested(StatsAreaSchema, required=True)
    as_of = fields.Date(required=True)
    measures = fields.List(fields.String(validate=validate.OneOf(MEASURES)), required=True)
    total = fields.Nested(MeasureValuesSchema, required=True)
    by = fields.String(validate=LEVEL_CHOICES, metadata={"description": "with `by` only"})
    children = fields.List(
        fields.Nested(StatsChildSchema), metadata={"description": "with `by` only"}
    )


class SeriesPointSchema(Schema):
    month = fields.String(required=True, metadata={"pattern": r"^\d{4}-\d{2}$"})
    as_of = fields.Date(required=True, metadata={"description": "the month's end, or today"})
    population = fields.Integer(required=True)
    residents = fields.Integer(required=True)
    floating = fields.Integer(required=True)


class SeriesSchema(Served):
    area = fields.Nested(StatsAreaSchema, required=True)
    measures = fields.List(fields.String(validate=validate.OneOf(SERIES_MEASURES)), required=True)
    points = fields.List(fields.Nested(SeriesPointSchema), required=True)


class ChoroplethFeatureSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["Feature"]))
    id = fields.String(required=True)
    geometry = geometry_field("the area's outline; null for an area without one")
    properties = fields.Dict(
        required=True,
        metadata={
            "description": "code, name and the measures flat: a nested count as "
            "'age_bands.80+', 'floating_by_province.43'",
            "properties": {
                "code": {"type": "string"},
                "name": {"type": "string", "nullable": True},
            },
            "required": ["code", "name"],
            "additionalProperties": {"type": "number", "nullable": True},
        },
    )


class ChoroplethSchema(Served):
    type = fields.String(required=True, validate=validate.OneOf(["FeatureCollection"]))
    as_of = fields.Date(required=True)
    features = fields.List(fields.Nested(ChoroplethFeatureSchema), required=True)
