"""HTTP routes for exports: the statistics and the masked record lists of an area as CSV or
XLSX downloads. CSV streams as it is read; XLSX is written to a temporary file first (a zip
file cannot be streamed before it is complete)."""

import os
from urllib.parse import quote

from flask import Response, current_app, send_file, stream_with_context

from gridgov.exports import files, schemas, service
from gridgov.extensions import Blueprint
from gridgov.hierarchy.routes import path_code
from gridgov.hierarchy.schemas import area_code_param
from gridgov.houses import routes as house_routes
from gridgov.people import routes as person_routes
from gridgov.scope.guard import authenticated, current_principal
from gridgov.stats import routes as stats

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports", description="Exports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GEOJSON = "application/geo+json"
DOWNLOAD = {
    "200": {
        "description": "The file, as an attachment",
        "content": {"text/csv": {}, XLSX: {}},
    }
}


def page_rows() -> int:
    return current_app.config["GRIDGOV_EXPORT_PAGE_ROWS"]


def download(export: files.Export, fmt: str) -> Response:
    if export.document is not None:
        response = Response(files.json_bytes(export), mimetype=GEOJSON)
    elif fmt == "csv":
        response = Response(stream_with_context(files.csv_chunks(export)), mimetype="text/csv")
    else:
        handle = files.xlsx_file(export)
        response = send_file(handle, mimetype=XLSX, download_name=export.filename)
        response.content_length = os.fstat(handle.fileno()).st_size
    # RFC 6266: an ASCII name for every client, the Chinese one (RFC 5987) for those that can
    response.headers.set(
        "Content-Disposition",
        "attachment",
        filename=export.filename,
        **{"filename*": "UTF-8''" + quote(export.title, safe="")},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.get("/stats/<code>", parameters=[area_code_param()])
@authenticated()
@blp.arguments(schemas.StatsExportArgsSchema, location="query")
@blp.doc(responses=DOWNLOAD)
def export_statistics(args, code):
    """The statistics of an area as a table: a row per child (with `by`), then the total;
    nested counts as columns such as 'age_bands.80+'."""
    export = service.stats_export(
        current_principal(), stats.question(code, args), stats.settings(), args["fmt"]
    )
    return download(export, args["fmt"])


@blp.get("/stats/<code>/series", parameters=[area_code_param()])
@authenticated()
@blp.arguments(schemas.SeriesExportArgsSchema, location="query")
@blp.doc(responses=DOWNLOAD)
def export_series(args, code):
    """People at the end of each month over a range of months, a row per month (the last
    point: today, if its month is not over)."""
    export = service.series_export(
        current_principal(),
        path_code(code),
        args["start"],
        stats.series_stop(args),
        stats.settings(),
        args["fmt"],
    )
    return download(export, args["fmt"])


@blp.get("/stats/<code>/features", parameters=[area_code_param()])
@authenticated()
@blp.arguments(schemas.FeaturesExportArgsSchema, location="query")
@blp.doc(responses={"200": {"description": "A GeoJSON file", "content": {GEOJSON: {}}}})
def export_features(args, code):
    """The choropleth of an area's children as a GeoJSON file: every area, every count
    property on each (0 where nobody of a kind lives)."""
    export = service.features_export(
        current_principal(), stats.question(code, args), stats.settings()
    )
    return download(export, "geojson")


@blp.get("/houses")
@authenticated(*service.RECORD_ROLES)
@blp.arguments(schemas.HousesExportArgsSchema, location="query")
@blp.doc(responses=DOWNLOAD)
def export_houses(args):
    """The houses below an area, masked as in the house list, narrowed by its filters."""
    export = service.houses_export(
        current_principal(),
        args["area"],
        args["fmt"],
        stats.today(),
        page_rows(),
        house_routes.filters(args),
    )
    return download(export, args["fmt"])


@blp.get("/persons")
@authenticated(*service.RECORD_ROLES)
@blp.arguments(schemas.PersonsExportArgsSchema, location="query")
@blp.doc(responses=DOWNLOAD)
def export_persons(args):
    """The people living below an area, masked as in the person list, narrowed by its filters
    (kind, compound, building, house, expiring_within)."""
    export = service.persons_export(
        current_principal(),
        args["area"],
        person_routes.filters(args),
        args["fmt"],
        stats.today(),
        page_rows(),
    )
    return download(export, args["fmt"])
