"""GET /api/v1/locate answered in front of the framework.

Devices send locate more than any other request: a few rows from one indexed query. Through
Flask's request handling, flask-smorest's wrappers and webargs, the request cost twice what the
same query costs in a bare WSGI callable (bench/locate.py), spread over dozens of small steps
none of which could be cut on its own. So a well-formed locate is answered here, with the very
pieces the route uses: the guard's token check and principal, the route's argument schema, the
service. Anything else goes to the Flask app untouched: another path or method, a parameter the
schema does not know or one sent twice, arguments or a token the route would refuse (the full
stack words each refusal, in the one error shape). A failure after the arguments were accepted
(outside the district, the database) is answered by the app's own error handlers, so the query
is never run twice. The route stays: it is the documented contract, and the answer whenever
this steps aside; tests/hierarchy/test_locate_shortcut.py holds the two equal.
"""

from urllib.parse import parse_qsl

from flask import Flask, Response

from gridgov.hierarchy import service
from gridgov.hierarchy.schemas import LocateQueryArgsSchema
from gridgov.scope.guard import access_claims, principal_of

PATH = "/api/v1/locate"


class LocateShortcut:
    """WSGI middleware around the app's own WSGI callable."""

    def __init__(self, app: Flask):
        self.app, self.inner = app, app.wsgi_app
        self.schema = LocateQueryArgsSchema()
        self.names = frozenset(self.schema.fields)

    def __call__(self, environ, start_response):
        if (
            environ.get("PATH_INFO") == PATH
            and environ.get("REQUEST_METHOD") == "GET"
            and not self.app.debug  # debug answers are indented: the app's
        ):
            with self.app.app_context():
                answer = self._answer(environ)
            if isinstance(answer, bytes):
                start_response("200 OK", _headers(len(answer)))
                return [answer]
            if answer is not None:
                return answer(environ, start_response)
        return self.inner(environ, start_response)

    def _answer(self, environ) -> bytes | Response | None:
        """The body of the answer, the app's answer to a failure, or None to step aside."""
        query = environ.get("QUERY_STRING", "")
        pairs = parse_qsl(query, keep_blank_values=True) if query.isascii() else None
        args = dict(pairs or ())
        if not pairs or len(args) != len(pairs) or not args.keys() <= self.names:
            return None
        try:
            claims = access_claims(environ.get("HTTP_AUTHORIZATION", ""))
            args = self.schema.load(args)
        except Exception:  # refused before any work: the full stack says why
            return None
        try:
            found = service.locate(principal_of(claims), args["lon"], args["lat"], args["crs"])
        except Exception as err:
            return self._refused(environ, err)
        return self.app.json.body(found)

    def _refused(self, environ, err: Exception) -> Response:
        # As Flask answers an exception raised in a view: the handler registered for it, then
        # the after-request hooks (no-store).
        with self.app.request_context(environ):
            response = self.app.make_response(self.app.handle_user_exception(err))
            return self.app.process_response(response)


def _headers(length: int) -> list[tuple[str, str]]:
    # The app's, in its order: Flask's JSON response, then _not_cached's no-store.
    return [
        ("Content-Type", "application/json"),
        ("Content-Length", str(length)),
        ("Cache-Control", "no-store"),
    ]
