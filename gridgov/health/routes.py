"""Liveness and readiness: the API answers and the database (with PostGIS) does too."""

from marshmallow import Schema, fields
from sqlalchemy import text

from gridgov.errors import Unavailable
from gridgov.extensions import Blueprint, db

blp = Blueprint("health", __name__, description="Health")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})
    database = fields.String(metadata={"example": "ok"})
    postgis = fields.String(metadata={"example": "3.5.2"})


@blp.get("/healthz")
@blp.doc(security=[])
@blp.response(200, HealthSchema)
def healthz():
    """200 when the database answers, 503 problem otherwise."""
    try:
        version = db.session.execute(text("SELECT postgis_lib_version()")).scalar_one()
    except Exception as e:  # any failure to reach the database means "not ready"
        db.session.rollback()
        raise Unavailable("The database does not answer.", code="database_unavailable") from e
    return {"status": "ok", "database": "ok", "postgis": version}
