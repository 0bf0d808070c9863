"""Device sync: upload batches, pull changes, reserve building numbers; conflicts for desk staff."""

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import fields, validate

from gridgov.codes.service import current_codes
from gridgov.houses import numbers
from gridgov.records.writer import Writer
from gridgov.schema import Schema
from gridgov.scope.guard import authenticated, current_principal
from gridgov.sync import changes as feed
from gridgov.sync import conflicts, schemas, upload
from gridgov.sync.geofence import Settings

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Device sync")
WRITERS = ("grid_worker", "street_staff", "district_staff")
STAFF = ("street_staff", "district_staff")


def writer(device_id: str | None) -> Writer:
    return Writer(current_principal(), device_id, current_app.extensions["vault"], current_codes())


def sync_settings() -> Settings:
    config = current_app.config
    return Settings(
        config["GRIDGOV_GEOFENCE"],
        config["GRIDGOV_GEOFENCE_METRES"],
        config["GRIDGOV_SYNC_KEEP_DAYS"],
    )


class ChangesArgsSchema(Schema):
    cursor = fields.String()
    limit = fields.Integer(load_default=500, validate=validate.Range(1, 5000))


class ReserveSchema(Schema):
    device_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    community = fields.String(required=True, validate=validate.Regexp(r"^\d{12}$"))
    count = fields.Integer(required=True, validate=validate.Range(1, numbers.MAX_RESERVE))


class ResolveSchema(Schema):
    choice = fields.String(required=True, validate=validate.OneOf(("ours", "theirs")))


class ConflictSchema(Schema):
    id = fields.Integer()
    record_type = fields.String()
    record_key = fields.String()
    grid_code = fields.String()
    base_version = fields.Integer()
    server_version = fields.Integer()
    fields_ = fields.List(fields.Dict(), data_key="fields", attribute="fields")
    status = fields.String()
    created_at = fields.DateTime()


@blp.post("/sync/upload")
@authenticated(*WRITERS)
@blp.arguments(schemas.BatchSchema)
def upload_batch(batch):
    """Upload up to 1,000 records; one result per record (created, updated, unchanged,
    conflict or rejected). Retrying a batch is safe: each record is idempotent on its uuid."""
    results = upload.upload(writer(batch["device_id"]), sync_settings(), batch["records"])
    return {"results": results}


@blp.get("/sync/changes")
@authenticated()
@blp.arguments(ChangesArgsSchema, location="query")
def changes(args):
    """Everything in your cells that changed since the cursor, with tombstones."""
    return feed.changes(current_principal(), args.get("cursor"), args["limit"])


@blp.post("/sync/building-numbers")
@authenticated(*WRITERS)
@blp.arguments(ReserveSchema)
def reserve(args):
    """Reserve building numbers (house-code digits 13-17) for offline work on a device."""
    reserved = numbers.reserve_numbers(
        current_principal(), args["device_id"], args["community"], args["count"]
    )
    return {"community": args["community"], "numbers": reserved}, 201


@blp.get("/conflicts")
@authenticated(*STAFF)
@blp.response(200, ConflictSchema(many=True))
def list_conflicts():
    """Open conflicts in your area, field by field (personal values masked)."""
    return conflicts.list_conflicts(current_principal(), "open")


@blp.post("/conflicts/<int:conflict_id>/resolve")
@authenticated(*STAFF)
@blp.arguments(ResolveSchema)
def resolve(args, conflict_id):
    """Keep the stored record ('ours') or apply the device's edit ('theirs')."""
    return conflicts.resolve(writer(None), conflict_id, args["choice"])
