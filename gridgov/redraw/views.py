"""Proposals as staff read them, and the crosswalk of past redraws (old cell -> new cells)."""

from sqlalchemy import select

from gridgov.errors import NotFound, ValidationFailed
from gridgov.extensions import db
from gridgov.hierarchy.models import Area
from gridgov.hierarchy.service import whole_area
from gridgov.redraw import preview
from gridgov.redraw.models import Lineage, Proposal
from gridgov.scope import Principal, covers


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
