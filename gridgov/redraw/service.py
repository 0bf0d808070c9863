"""Propose a division of a community into grid cells. Each function takes the acting Principal
(None: the command line) and owns its transaction; edits live in edits.py, reads and the
crosswalk in views.py, approval in approve.py."""

from dataclasses import dataclass

from geoalchemy2.shape import from_shape
from sqlalchemy import select, text

from gridgov.audit.service import record
from gridgov.errors import ValidationFailed
from gridgov.extensions import db
from gridgov.geo import SRID
from gridgov.hierarchy.models import Area
from gridgov.redraw import blocks, partition, preview, roads
from gridgov.redraw.models import Proposal
from gridgov.redraw.views import _community, actor_id, view_of
from gridgov.scope import Principal

DEFAULT_MIN, DEFAULT_MAX = 300, 500
EDIT_OPS = ("move_blocks", "merge", "split")


@dataclass(frozen=True)
class Bounds:
    low: int = DEFAULT_MIN
    high: int = DEFAULT_MAX

    def check(self) -> None:
        if self.low < 1:
            raise ValidationFailed.field("min", "must be at least 1")
        if self.high < self.low:
            raise ValidationFailed.field(
                "min", f"must not exceed max ({self.low} > {self.high} households)"
            )


_DIVIDED_COUNT = text(f"SELECT count(*) FROM houses h WHERE {blocks.DIVIDED}")

_BBOX = text(
    """
    SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
      SELECT coalesce((SELECT ST_Extent(geom)::geometry FROM areas
                       WHERE code = :district AND geom IS NOT NULL),
                      (SELECT ST_Extent(geom)::geometry FROM areas WHERE code = :community)) AS e
    ) x
    """
)

_ROADS_REACH = text(
    "SELECT ST_Intersects(a.geom, ST_GeomFromEWKT(:roads)) FROM areas a WHERE a.code = :community"
)

_CENTROIDS = text(
    """
    SELECT block_no, households, ST_X(c) AS lon, ST_Y(c) AS lat FROM (
      SELECT block_no, households, ST_PointOnSurface(geom) AS c FROM grid_proposal_blocks
      WHERE proposal_id = :proposal AND (CAST(:cell AS int) IS NULL OR cell = :cell)) b
    ORDER BY block_no
    """
)

# Blocks that share an edge (not just a corner).
_ADJACENT = text(
    """
    SELECT a.block_no, b.block_no FROM grid_proposal_blocks a
    JOIN grid_proposal_blocks b ON b.proposal_id = a.proposal_id AND a.block_no < b.block_no
      AND ST_Intersects(a.geom, b.geom)
    WHERE a.proposal_id = :proposal AND (CAST(:cell AS int) IS NULL OR (a.cell = :cell
          AND b.cell = :cell))
      AND ST_Relate(a.geom, b.geom, '****1****')
    """
)

_ASSIGN = text(
    """
    UPDATE grid_proposal_blocks b SET cell = m.cell
    FROM unnest(CAST(:blocks AS int[]), CAST(:cells AS int[])) m (block_no, cell)
    WHERE b.proposal_id = :proposal AND b.block_no = m.block_no
    """
)


def _graph(proposal_id: int, cell: int | None = None):
    args = {"proposal": proposal_id, "cell": cell}
    rows = db.session.execute(_CENTROIDS, args).all()
    lat0 = rows[0].lat if rows else 0.0
    found = []
    for r in rows:
        x, y = partition.to_metres(r.lon, r.lat, lat0)
        found.append(partition.Block(r.block_no, x, y, r.households))
    adjacency: dict[int, set[int]] = {b.no: set() for b in found}
    for a, b in db.session.execute(_ADJACENT, args):
        adjacency[a].add(b)
        adjacency[b].add(a)
    return found, adjacency


def _assign(proposal_id: int, groups: list[list[partition.Block]], first: int = 1) -> None:
    pairs = [(b.no, first + i) for i, group in enumerate(groups) for b in group]
    db.session.execute(
        _ASSIGN,
        {"proposal": proposal_id, "blocks": [p[0] for p in pairs], "cells": [p[1] for p in pairs]},
    )


def _renumber(proposal_id: int) -> None:
    """Number the cells 1..k in reading order (west to east, north to south)."""
    order = preview.ordered(preview.cells(proposal_id, geometry=False))
    new = {old: i + 1 for i, old in enumerate(order)}
    db.session.execute(
        text(
            "UPDATE grid_proposal_blocks b SET cell = m.new FROM unnest(CAST(:old AS int[]), "
            "CAST(:new AS int[])) m (old, new) WHERE b.proposal_id = :proposal AND b.cell = m.old"
        ),
        {"proposal": proposal_id, "old": list(new), "new": list(new.values())},
    )


def _scope(community: str, cells: list[str] | None) -> list[str] | None:
    """The cells in force to redraw, checked; None for every general cell of the community."""
    if cells is None:
        return None
    wanted = sorted(set(cells))
    if not wanted:
        raise ValidationFailed.field("cells", "name at least one grid cell, or leave cells out")
    found = set(
        db.session.scalars(
            select(Area.code).where(
                Area.code.in_(wanted),
                Area.parent_code == community,
                Area.level == "grid",
                Area.valid_to.is_(None),
            )
        )
    )
    missing = [c for c in wanted if c not in found]
    if missing:
        raise ValidationFailed.field(
            "cells", f"{', '.join(missing)}: not a grid cell in force in community {community}"
        )
    return wanted


def propose(
    principal: Principal | None,
    community: str,
    bounds: Bounds,
    road_layer: dict | None = None,
    crs: str = "wgs84",
    cells: list[str] | None = None,
) -> dict:
    """Divide a community (or only some of its cells: split or merge them) into cells of
    bounds.low..bounds.high households and store the result as a draft proposal; returns its
    preview."""
    bounds.check()
    area = _community(principal, community)
    cells = _scope(community, cells)
    args = {"community": community, "cells": cells}
    if db.session.execute(_DIVIDED_COUNT, args).scalar() == 0:
        where = f"cells {', '.join(cells)}" if cells else "outside its dedicated cells"
        raise ValidationFailed.field(
            "community",
            f"community {community} has no houses to divide ({where}); register houses first",
        )
    roads_ewkt = None
    if road_layer is not None:
        district = community[:6] + "000000"
        bbox = tuple(db.session.execute(_BBOX, {"district": district, **args}).one())
        lines = roads.parse(road_layer, crs, bbox, district)
        roads_ewkt = f"SRID={SRID};{lines.wkt}"
        if not db.session.execute(_ROADS_REACH, {"roads": roads_ewkt, **args}).scalar():
            raise ValidationFailed.field(
                "roads", f"none of the lines reaches community {community}; is the crs right?"
            )
    proposal = Proposal(
        community_code=area.code,
        min_households=bounds.low,
        max_households=bounds.high,
        method="roads" if roads_ewkt else "compounds",
        fingerprint=preview.fingerprint(community),
        cells=cells,
        roads=from_shape(lines, SRID) if roads_ewkt else None,
        created_by=actor_id(principal),
    )
    db.session.add(proposal)
    db.session.flush()
    blocks.build(proposal.id, community, cells, roads_ewkt)
    found, adjacency = _graph(proposal.id)
    _assign(proposal.id, partition.divide(found, bounds.low, bounds.high, adjacency))
    _renumber(proposal.id)
    result = view_of(proposal)
    record(
        "propose_grids",
        "grid_proposal",
        str(proposal.id),
        actor_id=actor_id(principal),
        after={"community": community, **result["summary"]},
    )
    db.session.commit()
    return result
