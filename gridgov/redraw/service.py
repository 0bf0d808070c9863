"""Propose a division of a community into grid cells, edit it, read it, and the crosswalk of
past redraws. Each function takes the acting Principal (None: the command line) and owns its
transaction; approval lives in approve.py."""

from dataclasses import dataclass

from geoalchemy2.shape import from_shape
from sqlalchemy import select, text

from gridgov.audit.service import record
from gridgov.auth.scope import Principal, covers
from gridgov.errors import Conflict, NotFound, ValidationFailed
from gridgov.extensions import db
from gridgov.geo import SRID
from gridgov.hierarchy.models import Area
from gridgov.hierarchy.service import whole_area
from gridgov.redraw import blocks, partition, preview, roads
from gridgov.redraw.models import Lineage, Proposal

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


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def actor_id(principal: Principal | None) -> int | None:
    return principal.user_id if principal else None


def _community(principal: Principal | None, code: str) -> Area:
    in_force = (Area.level == "community", Area.valid_to.is_(None))
    whole_area(principal, code, *in_force)
    area = db.session.scalar(select(Area).where(Area.code == code, *in_force))
    if area.geom is None:
        raise ValidationFailed.field("community", f"community {code} has no outline to divide")
    return area


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

_PARTS = text(
    """
    SELECT cell, ST_NumGeometries(ST_Union(geom)) AS parts FROM grid_proposal_blocks
    WHERE proposal_id = :proposal AND cell = ANY(:cells) GROUP BY cell ORDER BY cell
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


def load_proposal(principal: Principal | None, proposal_id: int, *, lock: bool = False) -> Proposal:
    stmt = select(Proposal).where(Proposal.id == proposal_id)
    if lock:
        # Fresh values: another approval may have changed the row while we waited for it.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    proposal = db.session.scalar(stmt)
    if proposal is None or (
        principal is not None and not covers(principal, proposal.community_code)
    ):
        raise NotFound(f"No grid proposal {proposal_id} in your scope.", code="unknown_proposal")
    return proposal


def view_of(proposal: Proposal, *, block_geometry: bool = False) -> dict:
    cell_rows = preview.cells(proposal.id)
    low, high = proposal.min_households, proposal.max_households
    total = sum(c["households"] for c in cell_rows)
    problems = preview.violations(cell_rows, low, high, total)
    pp = sorted(c["polsby_popper"] for c in cell_rows)
    sizes = sorted(c["households"] for c in cell_rows)
    features = [
        {
            "type": "Feature",
            "id": c["cell"],
            "geometry": c.pop("geometry"),
            "properties": {k: v for k, v in c.items() if k not in ("centroid", "height")},
        }
        for c in cell_rows
    ]
    stale = (
        proposal.status == "draft"
        and preview.fingerprint(proposal.community_code) != proposal.fingerprint
    )
    return {
        "id": proposal.id,
        "community": proposal.community_code,
        "status": proposal.status,
        "stale": stale,
        "version": proposal.version,
        "method": proposal.method,
        "min": low,
        "max": high,
        "effective_date": iso(proposal.effective_date),
        "summary": {
            "households": total,
            "cells": len(cell_rows),
            "cells_within_bounds": sum(low <= n <= high for n in sizes),
            "households_min": sizes[0] if sizes else 0,
            "households_median": sizes[len(sizes) // 2] if sizes else 0,
            "households_max": sizes[-1] if sizes else 0,
            "polsby_popper_min": pp[0] if pp else None,
            "polsby_popper_median": pp[len(pp) // 2] if pp else None,
            "violations": len(problems),
        },
        "cells": {"type": "FeatureCollection", "features": features},
        "redrawn": proposal.cells,
        "kept": preview.kept(proposal.community_code, proposal.cells),
        "violations": problems,
        "moves": preview.moves(proposal.id),
        "blocks": preview.blocks(proposal.id, geometry=block_geometry),
    }


def get_proposal(principal: Principal | None, proposal_id: int, *, block_geometry=False) -> dict:
    return view_of(load_proposal(principal, proposal_id), block_geometry=block_geometry)


def list_proposals(principal: Principal | None, community: str) -> list[dict]:
    _community(principal, community)
    rows = db.session.scalars(
        select(Proposal).where(Proposal.community_code == community).order_by(Proposal.id.desc())
    )
    return [
        {
            "id": p.id,
            "community": p.community_code,
            "status": p.status,
            "version": p.version,
            "method": p.method,
            "min": p.min_households,
            "max": p.max_households,
            "created_at": iso(p.created_at),
            "effective_date": iso(p.effective_date),
        }
        for p in rows
    ]


def _cells_of(proposal_id: int) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for no, cell in db.session.execute(
        text(
            "SELECT block_no, cell FROM grid_proposal_blocks WHERE proposal_id = :p "
            "ORDER BY block_no"
        ),
        {"p": proposal_id},
    ):
        out.setdefault(cell, []).append(no)
    return out


def _require_whole(proposal_id: int, cells: list[int], what: str) -> None:
    rows = db.session.execute(_PARTS, {"proposal": proposal_id, "cells": cells}).all()
    broken = [f"cell {r.cell} ({r.parts} pieces)" for r in rows if r.parts > 1]
    if broken:
        raise ValidationFailed(
            f"{what} would leave {', '.join(broken)} not in one piece; cells must be contiguous",
            code="not_contiguous",
        )


def _existing(cells: dict, cell, field: str, proposal_id: int) -> int:
    if cell not in cells:
        raise ValidationFailed.field(field, f"cell {cell} does not exist in proposal {proposal_id}")
    return cell


def _move_blocks(proposal: Proposal, cells: dict, data: dict) -> dict:
    target = _existing(cells, data.get("to"), "to", proposal.id)
    wanted = sorted(set(data.get("blocks") or []))
    if not wanted:
        raise ValidationFailed.field("blocks", "name at least one block to move")
    cell_of = {no: cell for cell, nos in cells.items() for no in nos}
    unknown = [no for no in wanted if no not in cell_of]
    if unknown:
        raise ValidationFailed.field(
            "blocks", f"no block {', '.join(map(str, unknown))} in proposal {proposal.id}"
        )
    sources = sorted({cell_of[no] for no in wanted} - {target})
    db.session.execute(
        text(
            "UPDATE grid_proposal_blocks SET cell = :to WHERE proposal_id = :p "
            "AND block_no = ANY(:blocks)"
        ),
        {"to": target, "p": proposal.id, "blocks": wanted},
    )
    emptied = [c for c in sources if set(cells[c]) <= set(wanted)]
    _require_whole(proposal.id, [target, *sources], f"moving block(s) to cell {target}")
    return {"blocks": wanted, "to": target, "from": sources, "emptied": emptied}


def _merge(proposal: Proposal, cells: dict, data: dict) -> dict:
    pair = data.get("cells") or []
    if len(pair) != 2 or pair[0] == pair[1]:
        raise ValidationFailed.field("cells", "name two different cells to merge")
    keep, gone = sorted(_existing(cells, c, "cells", proposal.id) for c in pair)
    db.session.execute(
        text(
            "UPDATE grid_proposal_blocks SET cell = :keep WHERE proposal_id = :p AND cell = :gone"
        ),
        {"keep": keep, "gone": gone, "p": proposal.id},
    )
    rows = db.session.execute(_PARTS, {"proposal": proposal.id, "cells": [keep]}).all()
    if rows[0].parts > 1:
        raise ValidationFailed(
            f"cells {keep} and {gone} do not share an edge; only neighbours can be merged",
            code="not_contiguous",
        )
    return {"cells": [keep, gone], "into": keep}


def _split(proposal: Proposal, cells: dict, data: dict) -> dict:
    cell = _existing(cells, data.get("cell"), "cell", proposal.id)
    found, adjacency = _graph(proposal.id, cell)
    halves = partition.bisect(found, 2, adjacency)
    if halves is None:
        raise ValidationFailed.field(
            "cell", f"cell {cell} is a single block and cannot be split further"
        )
    new = max(cells) + 1
    _assign(proposal.id, [halves[1]], first=new)
    _require_whole(proposal.id, [cell, new], f"splitting cell {cell}")
    return {"cell": cell, "into": [cell, new]}


def edit(principal: Principal | None, proposal_id: int, data: dict) -> dict:
    """Apply one edit (move_blocks, merge, split) to a draft; every edit is checked again."""
    proposal = load_proposal(principal, proposal_id, lock=True)
    if proposal.status != "draft":
        raise Conflict(
            f"Proposal {proposal_id} is {proposal.status}; only a draft can be edited.",
            code="proposal_closed",
        )
    op = data.get("op")
    handlers = {"move_blocks": _move_blocks, "merge": _merge, "split": _split}
    if op not in handlers:
        raise ValidationFailed.field("op", f"must be one of {', '.join(EDIT_OPS)}")
    cells = _cells_of(proposal.id)
    try:
        change = handlers[op](proposal, cells, data)
    except Exception:
        db.session.rollback()
        raise
    proposal.version += 1
    result = view_of(proposal)
    record(
        "edit_grid_proposal",
        "grid_proposal",
        str(proposal.id),
        actor_id=actor_id(principal),
        before={"version": proposal.version - 1},
        after={"op": op, **change, "version": proposal.version, "summary": result["summary"]},
    )
    db.session.commit()
    return result


def crosswalk(principal: Principal | None, community: str) -> dict:
    """Old cell -> new cell with the households they share, for every redraw of a community."""
    whole_area(principal, community, Area.level == "community")
    rows = db.session.scalars(
        select(Lineage)
        .where(Lineage.community_code == community)
        .order_by(Lineage.effective_date, Lineage.old_code, Lineage.new_code)
    )
    return {
        "community": community,
        "links": [
            {
                "old": r.old_code,
                "new": r.new_code,
                "effective_date": iso(r.effective_date),
                "households": r.households,
                "share": round(r.share, 4),
                "area_m2": round(r.area_m2, 1),
                "proposal": r.proposal_id,
            }
            for r in rows
        ],
    }
