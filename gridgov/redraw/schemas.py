"""Request arguments and responses of proposals, edits, approval and the crosswalk."""

from marshmallow import ValidationError, fields, validate, validates_schema

from gridgov.extensions import Served, geometry_field
from gridgov.redraw.service import DEFAULT_MAX, DEFAULT_MIN, EDIT_OPS
from gridgov.schema import Schema

COMMUNITY = validate.Regexp(r"^\d{12}$", error="must be a 12-digit community code")


class ProposalSchema(Schema):
    community = fields.String(required=True, validate=COMMUNITY)
    min = fields.Integer(load_default=DEFAULT_MIN, validate=validate.Range(min=1, max=100_000))
    max = fields.Integer(load_default=DEFAULT_MAX, validate=validate.Range(min=1, max=100_000))
    cells = fields.List(
        fields.String(validate=validate.Regexp(r"^\d{15}$", error="must be a 15-digit grid code")),
        metadata={"description": "redraw only these cells in force (split or merge them)"},
    )
    roads = fields.Dict(
        metadata={
            "description": "GeoJSON FeatureCollection of LineStrings with a crs member "
            "(wgs84, gcj02 or bd09)"
        }
    )

    @validates_schema
    def bounds(self, data, **kwargs):
        if data.get("min", DEFAULT_MIN) > data.get("max", DEFAULT_MAX):
            raise ValidationError(
                f"must not exceed max ({data.get('min')} > {data.get('max')} households)", "min"
            )


class ProposalQueryArgsSchema(Schema):
    block_geometry = fields.Boolean(
        load_default=False, metadata={"description": "include each block's outline"}
    )


class ProposalListQueryArgsSchema(Schema):
    community = fields.String(required=True, validate=COMMUNITY)


class EditSchema(Schema):
    op = fields.String(required=True, validate=validate.OneOf(EDIT_OPS))
    blocks = fields.List(fields.Integer(), metadata={"description": "move_blocks: the blocks"})
    to = fields.Integer(metadata={"description": "move_blocks: the receiving cell"})
    cells = fields.List(fields.Integer(), metadata={"description": "merge: two cells"})
    cell = fields.Integer(metadata={"description": "split: the cell"})


class ApproveSchema(Schema):
    effective_date = fields.Date(metadata={"description": "default: today"})


class CrosswalkQueryArgsSchema(Schema):
    community = fields.String(required=True, validate=COMMUNITY)


# Responses: documented exactly, sent as the services build them (gridgov.extensions.Served).
class ProposalCellPropertiesSchema(Schema):
    cell = fields.Integer(required=True, metadata={"description": "the cell's number here"})
    households = fields.Integer(required=True)
    persons = fields.Integer(required=True)
    blocks = fields.List(fields.Integer(), required=True)
    largest_block = fields.Integer(required=True, metadata={"description": "households"})
    neighbours = fields.List(fields.Integer(), required=True)
    contiguous = fields.Boolean(required=True)
    parts = fields.Integer(required=True)
    area_m2 = fields.Float(required=True)
    polsby_popper = fields.Float(required=True, metadata={"description": "compactness, 0-1"})


class ProposalCellSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["Feature"]))
    id = fields.Integer(required=True)
    geometry = geometry_field("the cell's outline")
    properties = fields.Nested(ProposalCellPropertiesSchema, required=True)


class ProposalCellsSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["FeatureCollection"]))
    features = fields.List(fields.Nested(ProposalCellSchema), required=True)


class ProposalSummarySchema(Schema):
    households = fields.Integer(required=True)
    cells = fields.Integer(required=True)
    cells_within_bounds = fields.Integer(required=True)
    households_min = fields.Integer(required=True)
    households_median = fields.Integer(required=True)
    households_max = fields.Integer(required=True)
    polsby_popper_min = fields.Float(required=True, allow_none=True)
    polsby_popper_median = fields.Float(required=True, allow_none=True)
    violations = fields.Integer(required=True)


class ViolationSchema(Schema):
    cell = fields.Integer(required=True)
    bound = fields.String(required=True, validate=validate.OneOf(["min", "max", "contiguity"]))
    households = fields.Integer(metadata={"description": "min and max"})
    limit = fields.Integer(metadata={"description": "min and max"})
    parts = fields.Integer(metadata={"description": "contiguity"})
    reason = fields.String(required=True)


class MoveFromSchema(Schema):
    grid = fields.String(required=True, metadata={"description": "a cell in force today"})
    houses = fields.Integer(required=True)
    people = fields.Integer(required=True)


class MoveSchema(Schema):
    cell = fields.Integer(required=True)
    from_ = fields.List(fields.Nested(MoveFromSchema), required=True, data_key="from")


class BlockSchema(Schema):
    block = fields.Integer(required=True)
    cell = fields.Integer(required=True)
    households = fields.Integer(required=True)
    persons = fields.Integer(required=True)
    compounds = fields.List(fields.String(), required=True)
    geometry = geometry_field("with block_geometry=true only")


class KeptCellSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    households = fields.Integer(required=True)
    persons = fields.Integer(required=True)
    geometry = geometry_field("the cell's outline")


STATUS = validate.OneOf(["draft", "approved", "superseded"])
METHOD = validate.OneOf(["roads", "compounds"])


class ProposalViewSchema(Served):
    id = fields.Integer(required=True)
    community = fields.String(required=True)
    status = fields.String(required=True, validate=STATUS)
    stale = fields.Boolean(required=True, metadata={"description": "the houses changed since"})
    version = fields.Integer(required=True)
    method = fields.String(required=True, validate=METHOD)
    min = fields.Integer(required=True)
    max = fields.Integer(required=True)
    effective_date = fields.Date(required=True, allow_none=True)
    summary = fields.Nested(ProposalSummarySchema, required=True)
    cells = fields.Nested(ProposalCellsSchema, required=True)
    redrawn = fields.List(
        fields.String(),
        required=True,
        allow_none=True,
        metadata={"description": "the cells in force redrawn; null: the whole community"},
    )
    kept = fields.List(fields.Nested(KeptCellSchema), required=True)
    violations = fields.List(fields.Nested(ViolationSchema), required=True)
    moves = fields.List(fields.Nested(MoveSchema), required=True)
    blocks = fields.List(fields.Nested(BlockSchema), required=True)


class ProposalListItemSchema(Served):
    id = fields.Integer(required=True)
    community = fields.String(required=True)
    status = fields.String(required=True, validate=STATUS)
    version = fields.Integer(required=True)
    method = fields.String(required=True, validate=METHOD)
    min = fields.Integer(required=True)
    max = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    effective_date = fields.Date(required=True, allow_none=True)


class CreatedCellSchema(Schema):
    code = fields.String(required=True)
    cell = fields.Integer(required=True, metadata={"description": "its number in the proposal"})
    households = fields.Integer(required=True)
    persons = fields.Integer(required=True)


class LineageSchema(Schema):
    old = fields.String(required=True)
    new = fields.String(required=True)
    households = fields.Integer(required=True)
    share = fields.Float(required=True, metadata={"description": "of the old cell's households"})
    area_m2 = fields.Float(required=True)


class MovedSchema(Schema):
    houses = fields.Integer(required=True)
    people = fields.Integer(required=True)


class ReboundWorkerSchema(Schema):
    user_id = fields.Integer(required=True)
    username = fields.String(required=True)
    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)
    flagged = fields.Boolean(metadata={"description": "present when the split was about even"})
    reason = fields.String()


class ApprovalSchema(Served):
    proposal = fields.Integer(required=True)
    community = fields.String(required=True)
    effective_date = fields.Date(required=True)
    closed = fields.List(fields.String(), required=True)
    created = fields.List(fields.Nested(CreatedCellSchema), required=True)
    lineage = fields.List(fields.Nested(LineageSchema), required=True)
    moved = fields.Nested(MovedSchema, required=True)
    workers = fields.List(fields.Nested(ReboundWorkerSchema), required=True)
    flagged = fields.List(fields.Nested(ReboundWorkerSchema), required=True)


class CrosswalkLinkSchema(LineageSchema):
    effective_date = fields.Date(required=True)
    proposal = fields.Integer(required=True, allow_none=True)


class CrosswalkSchema(Served):
    community = fields.String(required=True)
    links = fields.List(fields.Nested(CrosswalkLinkSchema), required=True)
