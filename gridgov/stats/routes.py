"""HTTP routes for statistics: per area and its children, monthly series, choropleth features."""

from flask import current_app
from orjson import Fragment

from gridgov.clock import district_today
from gridgov.extensions import Blueprint
from gridgov.hierarchy.routes import path_code
from gridgov.hierarchy.schemas import area_code_param
from gridgov.scope.guard import authenticated, current_principal
from gridgov.stats import measures, schemas, service

blp = Blueprint("stats", __name__, url_prefix="/api/v1", description="Statistics per area")


today = district_today


def settings() -> service.Settings:
    config = current_app.config
    return service.Settings(
        today=today(),
        crowded_above=config["GRIDGOV_CROWDED_ABOVE"],
        fold_rows=config["GRIDGOV_STATS_FOLD_ROWS"],
        keep_changes=config["GRIDGOV_STATS_KEEP_CHANGES"],
    )


def default_measures(args: dict) -> tuple[str, ...]:
    """Everything counted on the day; flows too when a period is named (they cost a pass over
    the period's moves)."""
    if args.get("start") or args.get("stop"):
        return measures.MEASURES
    return measures.DAY_MEASURES


def question(code: str, args: dict) -> service.Question:
    return service.Question(
        code=path_code(code),
        by=args.get("by"),
        day=args.get("as_of"),
        wanted=args.get("measures") or default_measures(args),
        start=args.get("start"),
        stop=args.get("stop"),
    )


@blp.get("/stats/<code>", parameters=[area_code_param()])
@authenticated()
@blp.arguments(schemas.StatsQueryArgsSchema, location="query")
@blp.response(200, schemas.StatisticsSchema)
def area_statistics(args, code):
    """Counts of an area (and of its children with `by`), today or as of a past day."""
    return service.statistics(current_principal(), question(code, args), settings())


def series_stop(args: dict):
    """The last day of a series asked for by months (the series export asks the same)."""
    longest = current_app.config["GRIDGOV_SERIES_MAX_MONTHS"]
    return service.series_stop(args["start"], args["stop"], today(), longest)


@blp.get("/stats/<code>/series", parameters=[area_code_param()])
@authenticated()
@blp.arguments(schemas.SeriesQueryArgsSchema, location="query")
@blp.response(200, schemas.SeriesSchema)
def area_series(args, code):
    """People at the end of each month (the last point: today, if the month is not over)."""
    start, stop = args["start"], series_stop(args)
    return service.series(current_principal(), path_code(code), start, stop, settings())


@blp.get("/stats/<code>/features", parameters=[area_code_param()])
@authenticated()
@blp.arguments(schemas.FeaturesQueryArgsSchema, location="query")
@blp.response(200, schemas.ChoroplethSchema)
def area_features(args, code):
    """The children as a GeoJSON FeatureCollection with their counts as flat properties
    (nested counts as 'age_bands.80+'), ready for a choropleth."""
    return service.features(current_principal(), question(code, args), settings(), Fragment)
