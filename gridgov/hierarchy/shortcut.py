"""GET /api/v1/locate answered in front of the framework (gridgov.shortcut).

Devices send locate more than any other request: a few rows from one indexed query. Through the
full stack the request cost twice what the same query costs in a bare WSGI callable
(bench/locate.py). A well-formed locate is answered here with the route's pieces: the guard's
token check and principal, the route's argument schema, the service. Anything else goes to the
app: another path or method, a parameter the schema does not know or one sent twice, arguments
or a token the route would refuse. A failure after the arguments were accepted (outside the
district, the database) is answered by the app's own error handlers.
tests/hierarchy/test_locate_shortcut.py holds the two equal.
"""

from urllib.parse import parse_qsl

from flask import Flask, Response

from gridgov.hierarchy import service
from gridgov.hierarchy.schemas import LocateQueryArgsSchema
from gridgov.scope.guard import access_claims, principal_of
from gridgov.shortcut import Shortcut


class LocateShortcut(Shortcut):
    path = "/api/v1/locate"

    def __init__(self, app: Flask, inner):
        super().__init__(app, inner)
        self.schema = LocateQueryArgsSchema()
        self.names = frozenset(self.schema.fields)

    def answer(self, environ) -> bytes | Response | None:
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
            return self.refused(environ, err)
        return self.app.json.body(found)
