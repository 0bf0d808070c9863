"""HTTP routes for exports: the statistics and the masked record lists of an area as CSV or
XLSX downloads. CSV streams as it is read; XLSX is written to a temporary file first (a zip
file cannot be streamed before it is complete). An export asked for as a job (async=true,
Prefer: respond-async) or longer than GRIDGOV_EXPORT_JOB_ABOVE_ROWS is answered 202 and
written by the worker (`flask exports work`); its file is fetched from /exports/jobs/{id}.

Each export's builder (BUILDERS) is what both the route and the worker call: the worker loads
a job's stored query arguments with the same schema and builds the same file."""

import os
from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app, request, send_file, stream_with_context

from gridgov.exports import files, jobs, schemas, service
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
    },
}
ACCEPTED = "Accepted as a job (Location: /api/v1/exports/jobs/{id})"


def page_rows() -> int:
    return current_app.config["GRIDGOV_EXPORT_PAGE_ROWS"]


def job_request(args: dict) -> jobs.JobRequest:
    wanted = args.pop("run_async", False) or "respond-async" in request.headers.get("Prefer", "")
    params = {k: v for k, v in request.args.items() if k != "async"}
    above = current_app.config["GRIDGOV_EXPORT_JOB_ABOVE_ROWS"]
    return jobs.JobRequest(wanted, above, params, current_app.extensions["vault"])


def export_dir() -> Path:
    return Path(current_app.config["GRIDGOV_EXPORT_DIR"])


def respond(result, fmt: str) -> Response:
    """A file to download, or (a dict) the job that will write it."""
    if isinstance(result, dict):
        body = schemas.JobSchema().dump(result)
        location = f"/api/v1/exports/jobs/{result['id']}"
        return Response(
            current_app.json.dumps(body),
            status=202,
            mimetype="application/json",
            headers={"Location": location, "Preference-Applied": "respond-async"},
        )
    return download(result, fmt)


def attachment(response: Response, filename: str, title: str) -> Response:
    # RFC 6266: an ASCII name for every client, the Chinese one (RFC 5987) for those that can
    response.headers.set(
        "Content-Disposition",
        "attachment",
        filename=filename,
        **{"filename*": "UTF-8''" + quote(title, safe="")},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def download(export: files.Export, fmt: str) -> Response:
    if export.document is not None:
        response = Response(files.json_bytes(export), mimetype=GEOJSON)
    elif fmt == "csv":
        response = Response(stream_with_context(files.csv_chunks(export)), mimetype="text/csv")
    else:
        handle = files.xlsx_file(export)
        response = send_file(handle, mimetype=XLSX, download_name=export.filename)
        response.content_length = os.fstat(handle.fileno()).st_size
    return attachment(response, export.filename, export.title)


# --- builders: what the route and the worker both call ----------------------------------


def build_stats(args, code, job=None):
    question = stats.question(code, args)
    return service.stats_export(current_principal(), question, stats.settings(), args["fmt"], job)


def build_series(args, code, job=None):
    return service.series_export(
        current_principal(),
        path_code(code),
        args["start"],
        stats.series_stop(args),
        stats.settings(),
        args["fmt"],
        job,
    )


def build_features(args, code, job=None):
    question = stats.question(code, args)
    return service.features_export(current_principal(), question, stats.settings(), job)


def build_houses(args, code=None, job=None):
    return service.houses_export(
        current_principal(),
        args["area"],
        args["fmt"],
        stats.today(),
        page_rows(),
        house_routes.filters(args),
        job,
    )


def build_persons(args, code=None, job=None):
    return service.persons_export(
        current_principal(),
        args["area"],
        person_routes.filters(args),
        args["fmt"],
        stats.today(),
        page_rows(),
        job,
    )


BUILDERS = {
    "stats": (schemas.StatsExportArgsSchema, build_stats),
    "series": (schemas.SeriesExportArgsSchema, build_series),
    "features": (schemas.FeaturesExportArgsSchema, build_features),
    "houses": (schemas.HousesExportArgsSchema, build_houses),
    "persons": (schemas.PersonsExportArgsSchema, build_persons),
}


@blp.get("/stats/<code>", parameters=[area_code_param()])
@authenticated()
@blp.arguments(schemas.StatsExportArgsSchema, location="query")
@blp.doc(responses=DOWNLOAD)
@blp.alt_response(202, schema=schemas.JobSchema, description=ACCEPTED)
def export_statistics(args, code):
    """The statistics of an area as a table: a row per child (with `by`), then the total;
    nested counts as columns such as '年龄段·80+岁'."""
    job = job_request(args)
    return respond(build_stats(args, code, job), args["fmt"])


@blp.get("/stats/<code>/series", parameters=[area_code_param()])
@authenticated()
@blp.arguments(schemas.SeriesExportArgsSchema, location="query")
@blp.doc(responses=DOWNLOAD)
@blp.alt_response(202, schema=schemas.JobSchema, description=ACCEPTED)
def export_series(args, code):
    """People at the end of each month over a range of months, a row per month (the last
    point: today, if its month is not over)."""
    job = job_request(args)
    return respond(build_series(args, code, job), args["fmt"])


@blp.get("/stats/<code>/features", parameters=[area_code_param()])
@authenticated()
@blp.arguments(schemas.FeaturesExportArgsSchema, location="query")
@blp.doc(responses={"200": {"description": "A GeoJSON file", "content": {GEOJSON: {}}}})
@blp.alt_response(202, schema=schemas.JobSchema, description=ACCEPTED)
def export_features(args, code):
    """The choropleth of an area's children as a GeoJSON file: every area, every count
    property on each (0 where nobody of a kind lives)."""
    job = job_request(args)
    return respond(build_features(args, code, job), "geojson")


@blp.get("/houses")
@authenticated(*service.RECORD_ROLES)
@blp.arguments(schemas.HousesExportArgsSchema, location="query")
@blp.doc(responses=DOWNLOAD)
@blp.alt_response(202, schema=schemas.JobSchema, description=ACCEPTED)
def export_houses(args):
    """The houses below an area, masked as in the house list, narrowed by its filters."""
    job = job_request(args)
    return respond(build_houses(args, job=job), args["fmt"])


@blp.get("/persons")
@authenticated(*service.RECORD_ROLES)
@blp.arguments(schemas.PersonsExportArgsSchema, location="query")
@blp.doc(responses=DOWNLOAD)
@blp.alt_response(202, schema=schemas.JobSchema, description=ACCEPTED)
def export_persons(args):
    """The people living below an area, masked as in the person list, narrowed by its filters
    (kind, compound, building, house, expiring_within)."""
    job = job_request(args)
    return respond(build_persons(args, job=job), args["fmt"])


# --- jobs --------------------------------------------------------------------------------


@blp.get("/jobs/<int:job_id>")
@authenticated()
@blp.response(200, schemas.JobSchema)
def get_job(job_id):
    """An export job of yours: its state, progress, and once done the link to its file."""
    return jobs.get(current_principal(), job_id)


@blp.get("/jobs/<int:job_id>/file")
@authenticated()
@blp.doc(
    responses={
        "200": {
            "description": "The job's file, as an attachment",
            "content": {"text/csv": {}, XLSX: {}, GEOJSON: {}},
        }
    }
)
def get_job_file(job_id):
    """The file a finished export job wrote (each download is audited); 409 while it is
    queued or running, or once it has expired or failed."""
    found = jobs.download(current_principal(), job_id, export_dir())
    response = send_file(found.path, mimetype=found.media, download_name=found.filename)
    return attachment(response, found.filename, found.title)
