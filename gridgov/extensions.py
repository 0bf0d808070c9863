"""Flask extensions, created unbound and bound to an app in create_app."""

import http
from functools import lru_cache

import flask_smorest
from flask import has_request_context, request
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from marshmallow import INCLUDE, RAISE, Schema, fields
from sqlalchemy import Engine, MetaData
from sqlalchemy.orm import DeclarativeBase
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


PROBLEM_JSON = "application/problem+json"


class FieldErrorSchema(Schema):
    field = fields.String(required=True, metadata={"example": "data.id_number"})
    in_ = fields.String(
        required=True,
        data_key="in",
        metadata={"enum": ["body", "query", "path", "header"], "example": "body"},
    )
    message = fields.String(required=True, metadata={"example": "check character is wrong"})


class ProblemSchema(Schema):
    """An RFC 9457 problem, as every error response is sent (gridgov.errors.problem)."""

    type = fields.String(
        required=True, metadata={"example": "https://gridgov.invalid/problems/validation_failed"}
    )
    title = fields.String(required=True, metadata={"example": "Invalid input"})
    status = fields.Integer(required=True, metadata={"example": 422})
    code = fields.String(
        required=True,
        metadata={"description": "Stable, machine-readable", "example": "validation_failed"},
    )
    detail = fields.String(required=True, metadata={"description": "Safe to show the user"})
    errors = fields.List(
        fields.Nested(FieldErrorSchema),
        metadata={"description": "Each invalid field with the rule it broke"},
    )


class Document(Schema):
    """A response documented as a JSON object and sent as the service built it (for responses
    whose shape their description gives)."""

    class Meta:
        unknown = INCLUDE  # documented with additionalProperties: any key may come

    def dump(self, obj, *, many=None):
        return obj


class Served(Schema):
    """A response documented field by field and sent as the service built it: dumping thousands
    of counts through marshmallow would cost more than counting them. The contract tests check
    what is served against the document (tests/test_contract.py, tests/test_schemathesis.py)."""

    def dump(self, obj, *, many=None):
        return obj


def geometry_field(description: str) -> fields.Dict:
    """An outline as GeoJSON (WGS84), null when there is none."""
    return fields.Dict(
        required=True,
        allow_none=True,
        metadata={
            "description": description,
            "properties": {
                "type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
                "coordinates": {"type": "array", "items": {}},
            },
            "required": ["type", "coordinates"],
        },
    )


BINARY = {"type": "string", "format": "binary"}


class StrictParser(FlaskParser):
    """Query parameters an endpoint's schema does not declare are refused, as unknown body
    fields are (webargs would silently drop them)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def load_querystring(self, req, schema):
        # What was sent as a plain dict, a list for the fields that take several values: the
        # input webargs' MultiDictProxy gives, without finding those fields again on every
        # request and raising (and catching) an exception for each parameter left out.
        multiple = _multiple_keys(schema)
        args = req.args
        return {k: args.getlist(k) if k in multiple else args[k] for k in args}


@lru_cache(maxsize=512)
def _multiple_keys(schema: Schema) -> frozenset[str]:
    # Schemas are instances made once (Blueprint.arguments), so this runs once per schema.
    return frozenset(MultiDictProxy(MultiDict(), schema).multiple_keys)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()

    def arguments(self, schema, *args, **kwargs):
        # webargs instantiates a schema class on every request (a quarter of a small read's
        # argument parsing); an instance is made once here and loads every request alike.
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)


def _one_of_items(self, field, **kwargs) -> dict:
    """A list field with metadata one_of=[schema names]: its items are one of those schemas."""
    names = field.metadata.get("one_of")
    if not names:
        return {}
    return {"items": {"oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in names]}}


class Api(flask_smorest.Api):
    """flask-smorest's Api, with error responses documented as the problems they are."""

    ERROR_SCHEMA = ProblemSchema

    def init_app(self, app, *, spec_kwargs=None):
        super().init_app(app, spec_kwargs=spec_kwargs)
        self.ma_plugin.converter.add_attribute_function(_one_of_items)

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as a problem", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


AUTOCOMMIT = "gridgov.autocommit"  # the request environ key of a safe request


@lru_cache(maxsize=8)
def _autocommit(engine: Engine) -> Engine:
    # The same pool; one engine object per engine, so the session finds its connection again.
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class Session(FlaskSession):
    """db.session. In a request whose environ says AUTOCOMMIT (scope.guard says so for safe
    requests, which write no more than an audit row a statement) its statements run outside a
    transaction: no BEGIN and ROLLBACK round trips. Marked on the request rather than on the
    session, so a request that reads nothing through the session never builds one."""

    def get_bind(self, *args, **kwargs):
        bind = super().get_bind(*args, **kwargs)
        if isinstance(bind, Engine) and has_request_context() and AUTOCOMMIT in request.environ:
            return _autocommit(bind)
        return bind


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
jwt = JWTManager()
api = Api()
