"""Query arguments of the statistics API."""

from datetime import date

from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.hierarchy.models import LEVELS
from gridgov.schema import Schema
from gridgov.stats.measures import MEASURES

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
