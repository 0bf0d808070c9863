"""What a proposal looks like: its cells with counts and checks, the kept dedicated cells, the
violations of the bounds, and the moves from the cells in force today. Read-only SQL."""

import json
import math

from sqlalchemy import text

from gridgov.extensions import db
from gridgov.redraw import partition
from gridgov.redraw.blocks import HOUSEHOLD

# Cells as the union of their blocks; area and perimeter on the spheroid for Polsby-Popper.
_CELLS = text(
    """
    WITH cells AS (
      SELECT cell, sum(households)::int AS households, sum(persons)::int AS persons,
             max(households) AS biggest, array_agg(block_no ORDER BY block_no) AS blocks,
             ST_Union(geom) AS g
      FROM grid_proposal_blocks WHERE proposal_id = :proposal GROUP BY cell)
    SELECT cell, households, persons, biggest, blocks, ST_NumGeometries(g) AS parts,
           ST_Area(g::geography) AS area, ST_Perimeter(g::geography) AS perimeter,
           ST_X(ST_Centroid(g)) AS lon, ST_Y(ST_Centroid(g)) AS lat,
           ST_YMax(g) - ST_YMin(g) AS height,
           CASE WHEN :geometry THEN ST_AsGeoJSON(ST_Multi(g), 7) END AS geojson
    FROM cells ORDER BY cell
    """
)

_KEPT = text(
    f"""
    SELECT a.code, a.name, ST_AsGeoJSON(a.geom, 7) AS geojson,
           (SELECT count(*) FROM houses h
            WHERE h.grid_code = a.code AND h.deleted_at IS NULL AND {HOUSEHOLD}) AS households,
           (SELECT coalesce(sum(h.occupants), 0) FROM houses h
            WHERE h.grid_code = a.code AND h.deleted_at IS NULL) AS persons
    FROM areas a
    WHERE a.parent_code = :community AND a.level = 'grid' AND a.valid_to IS NULL
      AND CASE WHEN CAST(:cells AS text[]) IS NULL THEN a.grid_type = 'dedicated'
               ELSE NOT a.code = ANY(CAST(:cells AS text[])) END
    ORDER BY a.code
    """
)

_MOVES = text(
    """
    SELECT b.cell, h.grid_code, count(*)::int AS houses,
           coalesce(sum(h.occupants), 0)::int AS people
    FROM grid_proposal_houses ph
    JOIN grid_proposal_blocks b ON b.proposal_id = ph.proposal_id AND b.block_no = ph.block_no
    JOIN houses h ON h.id = ph.house_id
    WHERE ph.proposal_id = :proposal AND h.deleted_at IS NULL
    GROUP BY 1, 2 ORDER BY 1, 2
    """
)

_BLOCKS = text(
    """
    SELECT block_no, cell, households, persons, compounds,
           CASE WHEN :geometry THEN ST_AsGeoJSON(geom, 7) END AS geojson
    FROM grid_proposal_blocks WHERE proposal_id = :proposal ORDER BY block_no
    """
)

_FINGERPRINT = text(
    """
    SELECT md5(
      coalesce((SELECT string_agg(h.id || ':' || h.grid_code || ':' || ST_AsText(h.geom) || ':'
                                  || (h.deleted_at IS NULL), ',' ORDER BY h.id)
                FROM houses h WHERE h.community_code = :community), '')
      || '|' ||
      coalesce((SELECT string_agg(a.code, ',' ORDER BY a.code) FROM areas a
                WHERE a.parent_code = :community AND a.level = 'grid' AND a.valid_to IS NULL), '')
    )
    """
)


def fingerprint(community: str) -> str:
    """A digest of the community's houses (where, in which cell, standing) and open cells."""
    return db.session.execute(_FINGERPRINT, {"community": community}).scalar_one()


def polsby_popper(area: float, perimeter: float) -> float:
    return 4 * math.pi * area / perimeter**2 if perimeter else 0.0


# Cells of a proposal that share an edge (not only a corner), through their blocks.
_NEIGHBOURS = text(
    """
    SELECT DISTINCT a.cell AS cell, b.cell AS other FROM grid_proposal_blocks a
    JOIN grid_proposal_blocks b ON b.proposal_id = a.proposal_id AND a.cell <> b.cell
      AND ST_Intersects(a.geom, b.geom) AND ST_Relate(a.geom, b.geom, '****1****')
    WHERE a.proposal_id = :proposal
    ORDER BY 1, 2
    """
)


def neighbours(proposal_id: int) -> dict[int, list[int]]:
    """Each cell's neighbours in the proposal: what a merge or a block move can reach."""
    out: dict[int, list[int]] = {}
    for r in db.session.execute(_NEIGHBOURS, {"proposal": proposal_id}):
        out.setdefault(r.cell, []).append(r.other)
    return out


def cells(proposal_id: int, geometry: bool = True) -> list[dict]:
    rows = db.session.execute(_CELLS, {"proposal": proposal_id, "geometry": geometry})
    beside = neighbours(proposal_id)
    out = []
    for r in rows:
        out.append(
            {
                "cell": r.cell,
                "households": r.households,
                "persons": r.persons,
                "blocks": list(r.blocks),
                "largest_block": r.biggest,
                "neighbours": beside.get(r.cell, []),
                "contiguous": r.parts == 1,
                "parts": r.parts,
                "area_m2": round(r.area, 1),
                "polsby_popper": round(polsby_popper(r.area, r.perimeter), 3),
                "centroid": [r.lon, r.lat],
                "height": r.height,
                "geometry": json.loads(r.geojson) if r.geojson else None,
            }
        )
    return out


def violations(cell_rows: list[dict], low: int, high: int, total: int) -> list[dict]:
    """Each cell that breaks a bound or is not in one piece, and why."""
    found = []
    for c in cell_rows:
        n, where = c["households"], f"cell {c['cell']}"
        if n > high:
            if c["largest_block"] > high:
                reason = (
                    f"{where} holds a single block of {c['largest_block']} households that "
                    "cannot be divided without cutting a compound or leaving the roads"
                )
            else:
                reason = f"{where}: its blocks cannot be grouped closer to the bounds"
            found.append(
                {
                    "cell": c["cell"],
                    "bound": "max",
                    "households": n,
                    "limit": high,
                    "reason": reason,
                }
            )
        elif n < low:
            if total < low:
                reason = f"the community holds only {total} households, fewer than the minimum"
            else:
                reason = (
                    f"{where}: the blocks around it cannot be grouped closer to the bounds "
                    "(a large compound or a block too big to share nearby)"
                )
            found.append(
                {"cell": c["cell"], "bound": "min", "households": n, "limit": low, "reason": reason}
            )
        if not c["contiguous"]:
            found.append(
                {
                    "cell": c["cell"],
                    "bound": "contiguity",
                    "parts": c["parts"],
                    "reason": f"{where} falls into {c['parts']} separate pieces",
                }
            )
    return found


def moves(proposal_id: int) -> list[dict]:
    """For each proposed cell, the houses and people it takes from each cell in force today."""
    out: dict[int, dict] = {}
    for r in db.session.execute(_MOVES, {"proposal": proposal_id}):
        entry = out.setdefault(r.cell, {"cell": r.cell, "from": []})
        entry["from"].append({"grid": r.grid_code, "houses": r.houses, "people": r.people})
    return list(out.values())


def blocks(proposal_id: int, geometry: bool = False) -> list[dict]:
    rows = db.session.execute(_BLOCKS, {"proposal": proposal_id, "geometry": geometry})
    return [
        {
            "block": r.block_no,
            "cell": r.cell,
            "households": r.households,
            "persons": r.persons,
            "compounds": list(r.compounds),
            "geometry": json.loads(r.geojson) if r.geojson else None,
        }
        for r in rows
    ]


def kept(community: str, cells: list[str] | None) -> list[dict]:
    """The cells in force that a proposal leaves as they are."""
    return [
        {
            "code": r.code,
            "name": r.name,
            "households": r.households,
            "persons": int(r.persons),
            "geometry": json.loads(r.geojson) if r.geojson else None,
        }
        for r in db.session.execute(_KEPT, {"community": community, "cells": cells})
    ]


def ordered(cell_rows: list[dict]) -> list[int]:
    """Cell numbers in reading order: west to east, north to south."""
    items = []
    lat0 = cell_rows[0]["centroid"][1] if cell_rows else 0.0
    for c in cell_rows:
        x, y = partition.to_metres(*c["centroid"], lat0)
        items.append((c["cell"], x, y, c["height"] * partition.M_PER_DEG_LAT))
    return partition.reading_order(items)
