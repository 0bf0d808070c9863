"""One error shape for every failure: RFC 9457 problem+json with a stable machine-readable code.

Services raise GridgovError subclasses; they know nothing of Flask. The handlers here turn those,
HTTP errors, request validation errors and database failures into problem responses.
"""

import logging

from flask import Flask, Response, json
from psycopg.errors import QueryCanceled
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from gridgov.crypto import KeyError_

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://gridgov.invalid/problems/"
# webargs locations as OpenAPI names them.
_LOCATIONS = {"querystring": "query", "json": "body", "form": "body", "headers": "header"}


class GridgovError(Exception):
    """An error whose message is safe to show to the caller."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict] | None = None, headers=None, code=None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        if code:
            self.code = code


class ValidationFailed(GridgovError):
    status, code, title = 422, "validation_failed", "Invalid input"

    @classmethod
    def field(cls, field: str, message: str, *, location: str = "body") -> "ValidationFailed":
        """One invalid field: the name and the rule it broke."""
        return cls(f"{field}: {message}", errors=[field_error(field, message, location)])

    @classmethod
    def of_schema(cls, messages, prefix: str = "") -> "ValidationFailed":
        """Every field marshmallow rejected, with the full path of the field."""
        errors = schema_errors(messages, prefix)
        return cls("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)


class Unauthorized(GridgovError):
    status, code, title = 401, "unauthorized", "Not authenticated"


class Forbidden(GridgovError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(GridgovError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(GridgovError):
    status, code, title = 409, "conflict", "Conflict"


class TooManyAttempts(GridgovError):
    status, code, title = 429, "too_many_attempts", "Too many attempts"


class Unavailable(GridgovError):
    status, code, title = 503, "unavailable", "Service unavailable"


def field_error(field: str, message: str, location: str = "body") -> dict:
    return {"field": field, "in": location, "message": message}


def problem(status: int, code: str, title: str, detail: str, errors=None, headers=None) -> Response:
    body = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(
        json.dumps(body, ensure_ascii=False), status, mimetype="application/problem+json"
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(err: GridgovError) -> Response:
    headers = err.headers
    if err.status == 401 and "WWW-Authenticate" not in headers:
        # RFC 9110: every 401 names the scheme that would be accepted.
        headers = {**headers, "WWW-Authenticate": "Bearer"}
    return problem(err.status, err.code, err.title, err.detail, err.errors, headers)


def _flatten(messages, location: str, prefix: str = "") -> list[dict]:
    """webargs/marshmallow messages ({field: [msg]} nested) as a flat list naming each field."""
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out += _flatten(value, location, name)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out += [field_error(prefix or "body", m, location) for m in messages]
    elif isinstance(messages, list):
        for item in messages:
            out += _flatten(item, location, prefix)
    else:
        out.append(field_error(prefix or "body", str(messages), location))
    return out


def schema_errors(messages, prefix: str = "", location: str = "body") -> list[dict]:
    """Marshmallow messages of a nested part of a request, with the full field path."""
    return [{**e, "field": prefix + e["field"]} for e in _flatten(messages, location)]


def _http_error(err: HTTPException) -> Response:
    data = getattr(err, "data", None) or {}
    messages = data.get("messages")
    headers = dict(data.get("headers") or {})
    if err.code == 405 and err.valid_methods:
        headers["Allow"] = ", ".join(err.valid_methods)
    if messages:
        errors = []
        for location, fields in messages.items():
            errors += _flatten(fields, _LOCATIONS.get(location, location))
        if any(e["message"] == "Invalid JSON body." for e in errors):
            return problem(400, "malformed_json", "Malformed JSON", "The body is not valid JSON.")
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "validation_failed", "Invalid input", detail, errors, headers)
    code = (err.name or "error").lower().replace(" ", "_")
    return problem(err.code or 500, code, err.name, err.description or err.name, None, headers)


def _constraint(err: DBAPIError) -> str:
    """What a database error was about, without the values: SQLSTATE and the constraint."""
    orig = err.orig
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or getattr(diag, "table_name", None) or ""
    return f"{getattr(orig, 'sqlstate', '') or type(orig).__name__} {name}".strip()


def register(app: Flask) -> None:
    """Install the handlers; called after flask-smorest so these replace its own."""
    app.register_error_handler(GridgovError, error_response)
    app.register_error_handler(HTTPException, _http_error)

    @app.errorhandler(KeyError_)
    def _key_missing(err):
        log.error("data key missing: %s", err)
        return problem(
            500,
            "data_key_missing",
            "Data key missing",
            "A stored value was sealed with a data key this server is not configured with.",
        )

    @app.errorhandler(RecursionError)
    def _too_deep(err):
        # The JSON parser recurses once per nesting level; a body nested thousands deep ends
        # there. Nothing of ours recurses that deep on its own.
        return problem(400, "malformed_json", "Malformed JSON", "The body is nested too deeply.")

    @app.errorhandler(IntegrityError)
    def _integrity(err):
        # The constraint's name only: the database's message quotes the values it refused.
        log.warning("integrity error: %s", _constraint(err))
        return problem(409, "conflict", "Conflict", "The change conflicts with stored data.")

    @app.errorhandler(OperationalError)
    def _db_down(err):
        if isinstance(err.orig, QueryCanceled):
            # The statement timeout (GRIDGOV_STATEMENT_TIMEOUT_MS, below gunicorn's worker
            # timeout) cancelled it: the client hears so, instead of a worker killed mid-answer.
            log.warning("statement cancelled: %s", err.orig.diag.message_primary)
            return problem(
                503,
                "query_timeout",
                "Service unavailable",
                "The request took longer than the server allows; try again later, or ask for "
                "less (a smaller area, fewer measures).",
                headers={"Retry-After": "30"},
            )
        log.error("database unavailable: %s", err.orig)
        return problem(
            503,
            "database_unavailable",
            "Service unavailable",
            "The database cannot be reached; try again shortly.",
            headers={"Retry-After": "5"},
        )

    @app.errorhandler(DBAPIError)
    def _db_error(err):
        if err.connection_invalidated:
            return _db_down(err)
        # Never the exception itself: its text quotes the refused value (a name, an address).
        log.error("database error %s", _constraint(err))
        return problem(500, "internal_error", "Internal error", "An unexpected error occurred.")

    @app.errorhandler(Exception)
    def _unexpected(err):
        log.exception("unhandled error")
        return problem(500, "internal_error", "Internal error", "An unexpected error occurred.")
