"""POST /api/v1/declarations answered in front of the framework (gridgov.shortcut).

Residents' phones and the hall's kiosks send it, without a token, as fast as a district's
people type. Through the full stack, Flask, flask-smorest's wrappers and webargs took a fifth of
the worker's busy time (a py-spy sample under bench/declarations.py), as much as the
submission's own Python. A well-formed declaration is answered here with the route's pieces:
its body limit, webargs' own JSON decoding, the route's schema, the view's work and the answer's
schema. Anything else goes to the app: a query string, a body that is not JSON, too large or of
unknown length, one the schema refuses. A refusal after the body was accepted (a house not on
record, the throttle, a pending declaration) is answered by the app's own error handlers.
It sits behind ProxyFix, which names the client address the throttle counts.
tests/declarations/test_submit_shortcut.py holds the two equal.
"""

import io

from flask import Flask, Response
from webargs.core import parse_json
from werkzeug.http import parse_options_header

from gridgov.declarations import routes, schemas
from gridgov.shortcut import Shortcut


class DeclareShortcut(Shortcut):
    method = "POST"
    path = routes.blp.url_prefix
    status = "201 CREATED"

    def __init__(self, app: Flask, inner):
        super().__init__(app, inner)
        self.schema = schemas.DeclarationSchema()
        self.answer_schema = schemas.SubmittedSchema()

    def answer(self, environ) -> bytes | Response | None:
        # The media type as Flask's request.mimetype reads it.
        mimetype = parse_options_header(environ.get("CONTENT_TYPE", ""))[0].lower()
        length = environ.get("CONTENT_LENGTH", "")
        if (
            environ.get("QUERY_STRING")
            or mimetype != "application/json"
            or "HTTP_TRANSFER_ENCODING" in environ
            or not (length.isascii() and length.isdigit() and len(length) < 10)
            or int(length) > self.app.config["GRIDGOV_DECLARATION_MAX_BYTES"]
        ):
            return None
        raw = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(raw)  # the full stack's, if this steps aside
        try:
            body = self.schema.load(parse_json(raw))
        except Exception:  # refused before any work: the full stack says why
            return None
        try:
            return self.app.json.body(
                self.answer_schema.dump(routes.submitted(body, environ.get("REMOTE_ADDR")))
            )
        except Exception as err:
            return self.refused(environ, err)
