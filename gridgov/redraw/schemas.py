"""Request arguments for proposals, edits, approval and the crosswalk."""

from marshmallow import ValidationError, fields, validate, validates_schema

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
