"""Rules every endpoint's request keeps, whatever it declares: a query parameter the endpoint
does not declare is refused (a misspelt filter must not look like a search that worked), and a
body sent under another media type than JSON is refused as such (415), not read as empty."""

from functools import cache

from flask import Flask, current_app, request

from gridgov.errors import GridgovError, ValidationFailed, field_error

_JSON = ("application/json",)


class UnsupportedMediaType(GridgovError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


def _declared(view, *locations: str) -> list[dict]:
    """The arguments a flask-smorest view declares in one of the webargs locations."""
    doc = getattr(view, "_apidoc", {})
    params = doc.get("arguments", {}).get("parameters", [])
    return [a for a in params if a.get("in", "json") in locations]


@cache
def _declares(view) -> tuple[bool, bool]:
    """Whether a view declares query parameters, and a JSON body (a view's declarations never
    change once the app is built; this runs before every request)."""
    return bool(_declared(view, "query", "querystring")), bool(_declared(view, "json"))


def _check_request() -> None:
    endpoint = request.endpoint
    view = current_app.view_functions.get(endpoint or "")
    if view is None or endpoint == "static" or not hasattr(view, "_apidoc"):
        return
    query, body = _declares(view)
    if not query and request.args:
        names = sorted(request.args)
        raise ValidationFailed(
            f"unknown query parameter(s): {', '.join(names)}",
            errors=[field_error(n, "is not a parameter of this endpoint", "query") for n in names],
        )
    # A body of unknown length (chunked) is known by its header, not read: read here, it would
    # be read under the app's limit before a route's own smaller one applies (the declaration's).
    if body and (request.content_length or request.headers.get("Transfer-Encoding")):
        mimetype = request.mimetype or ""
        if mimetype not in _JSON and not mimetype.endswith("+json"):
            raise UnsupportedMediaType(
                f"The body must be sent as application/json, not {mimetype or 'untyped'}."
            )


def init_app(app: Flask) -> None:
    app.before_request(_check_request)
