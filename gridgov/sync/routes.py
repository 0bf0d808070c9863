"""Device sync: upload batches, pull changes, reserve building numbers; conflicts for desk staff."""

from flask import current_app
from marshmallow import fields, validate

from gridgov.codes.service import current_codes
from gridgov.extensions import Blueprint
from gridgov.houses import numbers
from gridgov.houses.schemas import HouseViewSchema
from gridgov.people.schemas import PersonViewSchema
from gridgov.records.writer import Writer
from gridgov.schema import Schema
from gridgov.scope.guard import authenticated, current_principal
from gridgov.sync import changes as feed
from gridgov.sync import conflicts, examples, initial, schemas, upload
from gridgov.sync.geofence import Settings
from gridgov.visits.schemas import VisitViewSchema

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
        config["GRIDGOV_VISIT_MAX_DISTANCE_M"],
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


class ReservedSchema(Schema):
    community = fields.String()
    numbers = fields.List(
        fields.Integer(), metadata={"description": "house-code digits 13-17, as 5 digits"}
    )


class ResolvedSchema(Schema):
    conflict = fields.Integer()
    choice = fields.String(metadata={"enum": ["ours", "theirs"]})
    outcome = fields.String(metadata={"description": "theirs: what applying it came to"})
    version = fields.Integer(allow_none=True)


class UserRefSchema(Schema):
    id = fields.Integer()
    username = fields.String()


class FieldDiffSchema(Schema):
    field = fields.String()
    ours = fields.Raw(allow_none=True, metadata={"description": "stored (masked if personal)"})
    theirs = fields.Raw(allow_none=True, metadata={"description": "the device's (masked)"})


class SentSchema(Schema):
    by = fields.Nested(UserRefSchema, allow_none=True)
    device_id = fields.String(allow_none=True)
    captured_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime()


class ResolutionSchema(Schema):
    by = fields.Nested(UserRefSchema)
    choice = fields.String(allow_none=True, metadata={"description": "ours or theirs"})
    at = fields.DateTime(allow_none=True)


class ConflictSchema(Schema):
    id = fields.Integer()
    record_type = fields.String()
    op = fields.String(metadata={"enum": ["upsert", "move", "delete"]})
    record_key = fields.String()
    grid_code = fields.String()
    base_version = fields.Integer()
    server_version = fields.Integer()
    fields_ = fields.List(fields.Nested(FieldDiffSchema), data_key="fields", attribute="fields")
    status = fields.String(metadata={"enum": ["open", "resolved"]})
    sent = fields.Nested(SentSchema)
    resolved = fields.Nested(ResolutionSchema, allow_none=True)
    created_at = fields.DateTime()


class ConflictsArgsSchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "resolved")))


@blp.post("/sync/upload")
@authenticated(*WRITERS)
@blp.arguments(schemas.BatchSchema, examples=examples.UPLOAD)
@blp.alt_response(200, schema=schemas.UploadResultSchema, success=True)
def upload_batch(batch):
    """Upload up to 1,000 records; one result per record, in order.

    Each record is one of six kinds (`type` and `op`): a house upserted or deleted, a person
    upserted, moved or deleted, or a door-visit result (`visit`, `result`); its `data` is
    documented with each kind. A record is applied
    whole or not at all, and a bad record does not sink the others. Retrying a batch is safe:
    a record is idempotent on its `uuid` (a retry gets the stored outcome, `replayed: true`).

    **Outcomes**: `created` (201), `updated` (200), `deleted` (200), `unchanged` (200),
    `conflict` (409, `conflict_id`: desk staff resolve it), `transfer_requested` (202),
    `flagged` (201: a door-visit result kept without a valid proof of visit, `flags` name each
    fault), `rejected` (the status and `code` say why, `errors` name each field with the rule
    it broke).

    **Door visits**: the server checks the proof of visit (the position within
    GRIDGOV_VISIT_MAX_DISTANCE_M of the house, captured after the task was issued and before it
    was withdrawn or done, the task still open, its cell in your areas). Faults:
    `position_too_far`, `no_position`, `house_has_no_point`, `captured_before_issued`,
    `captured_after_withdrawn`, `captured_after_done`, `task_not_open`. A result for a task
    beyond your areas is answered as an unknown one (`unknown_visit`, 404).

    **Codes of a refused record**: `validation_failed` (422), `outside_scope` (403: the record
    lies outside your cells), `outside_geofence` (403: the device was too far from your cells,
    when the policy is to refuse), `unknown_house` / `unknown_person` (404), `stale_version`
    (409, a conflict: edited from an older version), `deleted` (409: the house was deleted),
    `house_occupied` (409), `house_code_taken` (409), `numbers_exhausted` (409), `uuid_reused`
    (409: the uuid was used for another record), `concurrent_write` (409: retry).

    **Editing**: send `base_version` = the `version` the record was read at. Fields left out
    of an edit keep their stored values. A house without `code` is coded by the server; a
    house coded offline uses a building number reserved with POST /sync/building-numbers."""
    results = upload.upload(writer(batch["device_id"]), sync_settings(), batch["records"])
    return {"results": results}


@blp.get("/sync/changes")
@authenticated()
@blp.arguments(ChangesArgsSchema, location="query")
@blp.alt_response(200, schema=schemas.ChangesPageSchema, success=True)
def changes(args):
    """Everything in your cells that changed since the cursor, with tombstones."""
    return feed.changes(current_principal(), args.get("cursor"), args["limit"])


class InitialArgsSchema(Schema):
    page = fields.String(metadata={"description": "the previous page's next"})
    limit = fields.Integer(load_default=500, validate=validate.Range(1, 2000))


class InitialPageSchema(Schema):
    cells = fields.List(fields.Dict(), metadata={"description": "first page: your cells"})
    codes = fields.Dict(metadata={"description": "first page: {table: {code: label}}"})
    visits = fields.List(
        fields.Nested(VisitViewSchema), metadata={"description": "first page: open door visits"}
    )
    houses = fields.List(fields.Nested(HouseViewSchema))
    persons = fields.List(fields.Nested(PersonViewSchema))
    cursor = fields.String(metadata={"description": "continue GET /sync/changes from it"})
    next = fields.String(allow_none=True, metadata={"description": "pass as page= for more"})


@blp.get("/sync/initial")
@authenticated()
@blp.arguments(InitialArgsSchema, location="query")
@blp.alt_response(200, schema=InitialPageSchema, success=True)
def initial_sync(args):
    """A device's first download of its cells: the cells' outlines, the code tables and the
    open door-visit tasks (first page), then its houses and people, keyset-paged (`next`).
    Keep the first page's `cursor`: GET /sync/changes continues from it, so nothing changed
    during the download is missed."""
    return initial.initial(current_principal(), args.get("page"), args["limit"])


@blp.post("/sync/building-numbers")
@authenticated(*WRITERS)
@blp.arguments(ReserveSchema)
@blp.response(201, ReservedSchema)
def reserve(args):
    """Reserve building numbers (house-code digits 13-17) for offline work on a device."""
    reserved = numbers.reserve_numbers(
        current_principal(), args["device_id"], args["community"], args["count"]
    )
    return {"community": args["community"], "numbers": reserved}


class ReservationsArgsSchema(Schema):
    community = fields.String(validate=validate.Regexp(r"^\d{12}$"))


class ReservationSchema(Schema):
    community = fields.String()
    number = fields.Integer()
    digits = fields.String(metadata={"description": "house-code digits 13-17"})
    reserved_by = fields.Integer()
    device_id = fields.String(allow_none=True)
    reserved_at = fields.DateTime(allow_none=True)


@blp.get("/sync/building-numbers")
@authenticated(*WRITERS)
@blp.arguments(ReservationsArgsSchema, location="query")
@blp.response(200, ReservationSchema(many=True))
def list_reservations(args):
    """Building numbers reserved and not yet used: a grid worker's own; staff see all in their
    areas. A number becomes house-code digits 13-17 of the first building a house uses it
    for; unused ones expire after GRIDGOV_RESERVATION_DAYS (flask sync expire-reservations)."""
    return numbers.reservations(current_principal(), args.get("community"))


@blp.delete(
    "/sync/building-numbers/<community>/<int(max=99999):number>",
    parameters=[
        {
            "in": "path",
            "name": "community",
            "required": True,
            "schema": {"type": "string", "pattern": r"^\d{12}$"},
        }
    ],
)
@authenticated(*WRITERS)
@blp.response(204)
def release_reservation(community, number):
    """Give back a reserved number not yet used (the number is never handed out again)."""
    numbers.release(current_principal(), community, number)


@blp.get("/conflicts")
@authenticated(*STAFF)
@blp.arguments(ConflictsArgsSchema, location="query")
@blp.response(200, ConflictSchema(many=True))
def list_conflicts(args):
    """Conflicts in your area (status=open, the default, or resolved), field by field with
    both sides (personal values masked), who sent the edit from which device and when, and
    for a resolved one who chose which side."""
    return conflicts.list_conflicts(current_principal(), args["status"])


@blp.post("/conflicts/<int(max=2147483647):conflict_id>/resolve")
@authenticated(*STAFF)
@blp.arguments(ResolveSchema)
@blp.response(200, ResolvedSchema)
def resolve(args, conflict_id):
    """Keep the stored record ('ours') or apply the device's edit ('theirs')."""
    return conflicts.resolve(writer(None), conflict_id, args["choice"])
