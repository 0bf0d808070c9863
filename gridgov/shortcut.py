"""A request answered in front of the framework: WSGI middleware that takes one path and method
when the request is well formed, with the very pieces its route uses (schema, guard, service),
and hands everything else to the app untouched.

For a small request sent thousands of times a second, Flask's request handling, flask-smorest's
wrappers and webargs cost as much as the work itself, spread over dozens of small steps none of
which could be cut on its own. A shortcut steps aside whenever the full stack would word a
refusal (the one error shape); a failure after it accepted the request is answered by the
app's own error handlers, so no work is ever done twice. The route stays: it is the documented
contract, and the answer whenever the shortcut steps aside. Each shortcut's tests hold the two
equal."""

from abc import ABC, abstractmethod

from flask import Flask, Response


class Shortcut(ABC):
    """Answers `method` `path` with `answer`; a subclass says how."""

    method = "GET"
    path = ""
    status = "200 OK"

    def __init__(self, app: Flask, inner):
        self.app, self.inner = app, inner

    def __call__(self, environ, start_response):
        if (
            environ.get("PATH_INFO") == self.path
            and environ.get("REQUEST_METHOD") == self.method
            and not self.app.debug  # debug answers are indented: the app's
        ):
            with self.app.app_context():
                answer = self.answer(environ)
            if isinstance(answer, bytes):
                start_response(self.status, _headers(len(answer)))
                return [answer]
            if answer is not None:
                return answer(environ, start_response)
        return self.inner(environ, start_response)

    @abstractmethod
    def answer(self, environ) -> bytes | Response | None:
        """The body of the answer, the app's answer to a failure, or None to step aside."""

    def refused(self, environ, err: Exception) -> Response:
        # As Flask answers an exception raised in a view: the handler registered for it, then
        # the after-request hooks (no-store); one without a handler is logged and answered 500.
        with self.app.request_context(environ):
            try:
                answer = self.app.handle_user_exception(err)
            except Exception as unhandled:
                return self.app.handle_exception(unhandled)
            return self.app.process_response(self.app.make_response(answer))


def _headers(length: int) -> list[tuple[str, str]]:
    # The app's, in its order: Flask's JSON response, then _not_cached's no-store.
    return [
        ("Content-Type", "application/json"),
        ("Content-Length", str(length)),
        ("Cache-Control", "no-store"),
    ]
