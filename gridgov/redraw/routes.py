"""HTTP routes for grid redraws: propose, read, edit, approve, and the crosswalk."""

from flask import current_app

from gridgov.clock import district_today
from gridgov.errors import ValidationFailed
from gridgov.extensions import Blueprint
from gridgov.geo import CRS_NAMES
from gridgov.redraw import approve as approval
from gridgov.redraw import edits, schemas, service, views
from gridgov.scope.guard import authenticated, current_principal

blp = Blueprint("redraw", __name__, url_prefix="/api/v1", description="Redrawing grid cells")

STAFF = ("street_staff", "district_staff", "admin")


def approval_settings() -> approval.Settings:
    config = current_app.config
    return approval.Settings(
        today=district_today(),
        tolerance_m2=config["GRIDGOV_TOPOLOGY_TOLERANCE_M2"],
        street_may_approve=config["GRIDGOV_STREET_MAY_APPROVE"],
    )


def _crs(roads) -> str:
    crs = roads.get("crs") if isinstance(roads, dict) else None
    if crs not in CRS_NAMES:
        raise ValidationFailed.field(
            "roads.crs", f"must say the coordinate system: one of {', '.join(CRS_NAMES)}"
        )
    return crs


@blp.post("/grids/proposals")
@authenticated(*STAFF)
@blp.arguments(schemas.ProposalSchema)
@blp.response(201, schemas.ProposalViewSchema)
def propose(args):
    """Propose grid cells for a community (a preview; nothing changes until approval)."""
    roads = args.get("roads")
    bounds = service.Bounds(args["min"], args["max"])
    crs = _crs(roads) if roads is not None else "wgs84"
    return service.propose(
        current_principal(), args["community"], bounds, roads, crs, args.get("cells")
    )


@blp.get("/grids/proposals")
@authenticated(*STAFF)
@blp.arguments(schemas.ProposalListQueryArgsSchema, location="query")
@blp.response(200, schemas.ProposalListItemSchema(many=True))
def list_proposals(args):
    """The proposals made for a community, newest first."""
    return views.list_proposals(current_principal(), args["community"])


@blp.get("/grids/proposals/<int(max=2147483647):proposal_id>")
@authenticated(*STAFF)
@blp.arguments(schemas.ProposalQueryArgsSchema, location="query")
@blp.response(200, schemas.ProposalViewSchema)
def get_proposal(args, proposal_id):
    """A proposal's cells, violations, moves and blocks; `stale` once the houses changed."""
    return views.get_proposal(
        current_principal(), proposal_id, block_geometry=args["block_geometry"]
    )


@blp.post("/grids/proposals/<int(max=2147483647):proposal_id>/edits")
@authenticated(*STAFF)
@blp.arguments(schemas.EditSchema)
@blp.response(200, schemas.ProposalViewSchema)
def edit_proposal(args, proposal_id):
    """Move blocks to a neighbouring cell, merge two cells or split one; re-checked each time."""
    return edits.edit(current_principal(), proposal_id, args)


@blp.post("/grids/proposals/<int(max=2147483647):proposal_id>/approve")
@authenticated(*STAFF)
@blp.arguments(schemas.ApproveSchema)
@blp.response(200, schemas.ApprovalSchema)
def approve_proposal(args, proposal_id):
    """Put a proposal in force: new cells, lineage, houses, people and workers move at once."""
    return approval.approve(
        current_principal(), proposal_id, args.get("effective_date"), approval_settings()
    )


@blp.get("/grids/crosswalk")
@authenticated(*STAFF)
@blp.arguments(schemas.CrosswalkQueryArgsSchema, location="query")
@blp.response(200, schemas.CrosswalkSchema)
def crosswalk(args):
    """Old cell -> new cell with shared households, to compare series across redraws."""
    return views.crosswalk(current_principal(), args["community"])
