"""Door visits at the desk: issue a plain door visit for a house, list the street's tasks
(the supervision list), read one, withdraw one. Devices read their cell's tasks here too."""

from flask import current_app

from gridgov.codes.service import current_codes
from gridgov.extensions import Blueprint
from gridgov.hierarchy import service as hierarchy
from gridgov.records.writer import Writer
from gridgov.scope.guard import authenticated, current_principal
from gridgov.visits import schemas, service, views

blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="Door visits")
STAFF = ("street_staff", "district_staff")


def _writer() -> Writer:
    return Writer(current_principal(), None, current_app.extensions["vault"], current_codes())


@blp.get("")
@authenticated()
@blp.arguments(schemas.VisitsArgsSchema, location="query")
@blp.response(200, schemas.VisitPageSchema)
def list_visits(args):
    """Door-visit tasks in your areas (or below `area`), by id, each with its latest result;
    page with after=<last id>."""
    principal = current_principal()
    prefix = hierarchy.area_prefix(principal, args["area"]) if args.get("area") else None
    items = views.list_tasks(principal, prefix, args.get("state"), args.get("after"), args["limit"])
    return {"visits": items, "next": items[-1]["id"] if len(items) == args["limit"] else None}


@blp.post("")
@authenticated(*STAFF)
@blp.arguments(schemas.IssueSchema)
@blp.response(201, schemas.VisitViewSchema)
def issue_visit(args):
    """Send a door visit (house_check) to the grid cell of a house in your areas; its devices
    get it through GET /sync/changes (type visit) and upload the result."""
    task_id = service.issue_house_check(_writer(), args["house_code"], args["reason"])
    return views.get_task(current_principal(), task_id)


@blp.get("/<int(max=2147483647):task_id>")
@authenticated()
@blp.response(200, schemas.VisitViewSchema)
def get_visit(task_id):
    """A task of your areas with every result uploaded for it (proof of visit and faults)."""
    return views.get_task(current_principal(), task_id)


@blp.post("/<int(max=2147483647):task_id>/withdraw")
@authenticated(*STAFF)
@blp.arguments(schemas.WithdrawSchema)
@blp.response(200, schemas.VisitViewSchema)
def withdraw_visit(args, task_id):
    """Withdraw an open task, with a reason; its devices drop it, a later result is flagged."""
    service.withdraw_in_scope(_writer(), task_id, args["reason"])
    return views.get_task(current_principal(), task_id)
