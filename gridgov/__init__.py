"""gridgov: the backend of grid-based community governance (网格化社会治理)."""

import base64
from inspect import CO_COROUTINE
from types import FunctionType

import orjson
from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.engine import make_url
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, UnicodeConverter

from gridgov import clock, contract, declarations, docs, errors
from gridgov import config as settings
from gridgov.crypto import Vault, parse_keys
from gridgov.extensions import api, db, jwt, migrate
from gridgov.schema import BIGINT_MAX


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: config -> extensions -> error handlers -> blueprints -> CLI -> WSGI layers."""
    app = App(__name__)
    app.json = Json(app)
    app.config.update(settings.from_env())
    app.config.update(docs.OPENAPI_CONFIG)
    app.config.update(overrides or {})
    _register_converters(app)
    clock.configure(app.config["GRIDGOV_TIMEZONE"])
    declarations.configure(declarations.settings_of(app.config))

    from gridgov import models  # noqa: F401  (register every table with the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=app.config.get("MIGRATIONS_DIR", _migrations_dir()))
    jwt.init_app(app)
    api.init_app(app)
    errors.register(app)
    api.register_converter(Id, _id_param)
    contract.init_app(app)

    from gridgov.auth.service import load_principal
    from gridgov.scope.cache import PrincipalCache
    from gridgov.scope.guard import register_token_errors

    register_token_errors(jwt)
    dsn = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    app.extensions["principal_cache"] = PrincipalCache(
        dsn.render_as_string(hide_password=False),
        app.config["GRIDGOV_PRINCIPAL_CACHE_SECONDS"],
        load_principal,
    )
    app.extensions["vault"] = Vault(
        parse_keys(app.config["GRIDGOV_DATA_KEYS"]),
        base64.b64decode(app.config["GRIDGOV_BLIND_INDEX_KEY"]),
    )
    _register_blueprints(app)
    _register_cli(app)
    app.after_request(_not_cached)
    _wrap(app)
    return app


def _wrap(app: Flask) -> None:
    """The WSGI layers around Flask's own: the shortcuts (gridgov.shortcut) and ProxyFix."""
    from gridgov.declarations.shortcut import DeclareShortcut
    from gridgov.hierarchy.shortcut import LocateShortcut

    app.wsgi_app = DeclareShortcut(app, app.wsgi_app)  # behind ProxyFix: it counts the client
    if app.config["GRIDGOV_PROXIES"]:
        # Trust X-Forwarded-For from exactly that many proxies (never from the client itself).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["GRIDGOV_PROXIES"])
    app.wsgi_app = LocateShortcut(app, app.wsgi_app)  # outermost: in front of ProxyFix too


class App(Flask):
    def ensure_sync(self, func):
        # Every view, hook and flask-smorest wrapper passes through here on every request, and
        # inspect's unwrapping check cost a few percent of a small read. A plain function (ours
        # all are) is sync by its code flags; anything else gets Flask's full check.
        if type(func) is FunctionType and not func.__code__.co_flags & CO_COROUTINE:
            return func
        return super().ensure_sync(func)


class Json(DefaultJSONProvider):
    """Flask's JSON (sorted keys, UTF-8 rather than escapes, Flask's rules for dates, decimals
    and dataclasses; keys that are not text sorted as text; indented when debugging), written
    by orjson: the standard library's encoder took a third of the server's time on a device's
    first sync (14 against 5 us a listed person). An orjson.Fragment, JSON text PostgreSQL
    wrote, goes into the answer as it is."""

    ensure_ascii = False
    _OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME

    def body(self, obj, indent: bool = False) -> bytes:
        """An answer's body: JSON and a newline, as Flask sends it."""
        options = self._OPTIONS | orjson.OPT_APPEND_NEWLINE | (orjson.OPT_INDENT_2 if indent else 0)
        return orjson.dumps(obj, default=_default, option=options)

    def response(self, *args, **kwargs) -> Response:
        indent = (self.compact is None and self._app.debug) or self.compact is False
        body = self.body(self._prepare_response_obj(args, kwargs), indent)
        return self._app.response_class(body, mimetype=self.mimetype)


def _default(value):
    # What the standard library writes itself and orjson leaves to this: a float's subclass (a
    # numpy float). Then Flask's: dates as HTTP dates, decimals as text, dataclasses as dicts.
    if isinstance(value, float):
        return float(value)
    return DefaultJSONProvider.default(value)


def _not_cached(response: Response) -> Response:
    # API answers carry personal data and scope-dependent views: no browser or proxy keeps them.
    if request.path.startswith("/api/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


class Text(UnicodeConverter):
    """A path segment without NUL: such a path names nothing, so it is not found."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\x00]")


class Id(IntegerConverter):
    """A row id: at most a bigint, so a larger number is simply not found."""

    def __init__(self, map, fixed_digits=0, min=None, max=BIGINT_MAX, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def _id_param(converter) -> dict:
    return {"type": "integer", "format": "int64", "minimum": 0, "maximum": converter.max}


def _register_converters(app: Flask) -> None:
    # Before any route is added: rules take their converters when they are registered.
    app.url_map.converters.update(default=Text, string=Text, int=Id)


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")


def _register_blueprints(app: Flask) -> None:
    from gridgov.accounts.routes import blp as users
    from gridgov.auth.routes import blp as auth
    from gridgov.buildings.routes import blp as buildings
    from gridgov.codes.routes import blp as codes
    from gridgov.console.routes import bp as console
    from gridgov.declarations.routes import blp as declarations
    from gridgov.exports.routes import blp as exports
    from gridgov.health.routes import blp as health
    from gridgov.hierarchy.routes import blp as hierarchy
    from gridgov.houses.routes import blp as houses
    from gridgov.people.routes import blp as people
    from gridgov.redraw.routes import blp as redraw
    from gridgov.stats.routes import blp as stats
    from gridgov.sync.routes import blp as sync
    from gridgov.sync.schemas import RECORD_KINDS
    from gridgov.visits.routes import blp as visits
    from gridgov.window.routes import blp as window

    # The kinds of upload record, referred to by the batch's oneOf.
    for name, schema in RECORD_KINDS.items():
        api.spec.components.schema(name, schema=schema)
    for blp in (auth, hierarchy, sync, houses, people, stats, exports, users, health, redraw):
        api.register_blueprint(blp)
    for blp in (buildings, codes, visits, window, declarations):
        api.register_blueprint(blp)
    app.register_blueprint(docs.assets)
    app.register_blueprint(console)


def _register_cli(app: Flask) -> None:
    from gridgov.accounts.cli import users_cli
    from gridgov.auth.cli import auth_cli
    from gridgov.codes.cli import codes_cli
    from gridgov.declarations.cli import declarations_cli
    from gridgov.demo.cli import demo_cli
    from gridgov.exports.cli import exports_cli
    from gridgov.hierarchy.cli import areas_cli, grids_cli
    from gridgov.keys.cli import keys_cli
    from gridgov.redraw import cli as _redraw  # noqa: F401  (adds propose/approve to `grids`)
    from gridgov.stats.cli import stats_cli
    from gridgov.sync.cli import sync_cli

    for group in (
        areas_cli,
        grids_cli,
        users_cli,
        auth_cli,
        codes_cli,
        demo_cli,
        stats_cli,
        keys_cli,
        sync_cli,
        exports_cli,
        declarations_cli,
    ):
        app.cli.add_command(group)
