"""Approve a proposal: one transaction that closes the old cells, opens the new ones, records
their lineage, moves houses, people and grid workers, and tells devices. Any failure rolls all of
it back, so the old cells stay exactly as they were."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, text

from gridgov import feed
from gridgov.audit.service import record
from gridgov.errors import Conflict, Forbidden, ValidationFailed, field_error
from gridgov.extensions import db
from gridgov.hierarchy import topology
from gridgov.hierarchy.models import Area
from gridgov.redraw import blocks, naming, preview
from gridgov.redraw.rebind import rebind_workers, successors_of
from gridgov.redraw.views import actor_id, load_proposal
from gridgov.scope import Principal

APPROVERS = ("district_staff", "admin")
LAST_SEQUENCE = 999


@dataclass(frozen=True)
class Settings:
    today: date
    tolerance_m2: float = 1.0
    street_may_approve: bool = False


def _may_approve(principal: Principal | None, settings: Settings) -> None:
    if principal is None or principal.role in APPROVERS:
        return
    if principal.role == "street_staff" and settings.street_may_approve:
        return
    raise Forbidden(
        "Only district staff (or street staff, where the district allows it) approve a redraw.",
        code="approval_not_allowed",
    )


_OLD_CELLS = text(
    f"""
    SELECT code, valid_from FROM areas WHERE code IN ({blocks.REDRAWN}) ORDER BY code FOR UPDATE
    """
)

_LAST_HOUSE_MOVE = text(
    """
    SELECT max(g.valid_from) FROM house_grids g JOIN houses h ON h.id = g.house_id
    WHERE h.community_code = :community AND g.valid_to IS NULL AND g.valid_from > '-infinity'
    """
)

# Sequence numbers are never reused: the next one follows the highest ever given here.
_LAST_SEQUENCE = text(
    "SELECT coalesce(max(substr(code, 13, 3)::int), 0) FROM areas "
    "WHERE level = 'grid' AND code LIKE :community || '%'"
)

_NEW_CELLS = text(
    """
    INSERT INTO areas (code, name, level, parent_code, grid_type, geom, valid_from)
    SELECT m.code, m.name, 'grid', :community, 'general', ST_Multi(ST_Union(b.geom)), :on
    FROM grid_proposal_blocks b
    JOIN unnest(CAST(:cells AS int[]), CAST(:codes AS text[]), CAST(:names AS text[]))
      m (cell, code, name) ON m.cell = b.cell
    WHERE b.proposal_id = :proposal
    GROUP BY m.code, m.name
    """
)

_MOVED = text(
    """
    CREATE TEMP TABLE redraw_moved ON COMMIT DROP AS
    SELECT h.id, h.code, h.grid_code AS old, m.code AS new
    FROM grid_proposal_houses ph
    JOIN grid_proposal_blocks b ON b.proposal_id = ph.proposal_id AND b.block_no = ph.block_no
    JOIN unnest(CAST(:cells AS int[]), CAST(:codes AS text[])) m (cell, code) ON m.cell = b.cell
    JOIN houses h ON h.id = ph.house_id
    WHERE ph.proposal_id = :proposal AND h.deleted_at IS NULL
    """
)

# Old -> new with the households they share; an old cell without houses is linked by area.
_LINEAGE = text(
    """
    INSERT INTO grid_lineage (old_code, new_code, community_code, proposal_id, effective_date,
                              households, share, area_m2)
    WITH pairs AS (
      SELECT old, new, count(*) AS n FROM redraw_moved WHERE old = ANY(:old) GROUP BY 1, 2
    ), totals AS (
      SELECT old, sum(n) AS t FROM pairs GROUP BY 1
    ), overlap AS (
      SELECT o.code AS old, n.code AS new, area_m2(ST_Intersection(o.geom, n.geom)) AS a,
             area_m2(o.geom) AS whole
      FROM areas o JOIN areas n ON n.code = ANY(:new) AND ST_Intersects(o.geom, n.geom)
      WHERE o.code = ANY(:old)
    )
    SELECT coalesce(p.old, v.old), coalesce(p.new, v.new), :community, :proposal, :on,
           coalesce(p.n, 0),
           CASE WHEN t.t > 0 THEN coalesce(p.n, 0)::float / t.t
                ELSE coalesce(v.a / nullif(v.whole, 0), 0) END,
           coalesce(v.a, 0)
    FROM pairs p FULL JOIN overlap v ON v.old = p.old AND v.new = p.new
    LEFT JOIN totals t ON t.old = coalesce(p.old, v.old)
    WHERE coalesce(p.n, 0) > 0 OR (coalesce(t.t, 0) = 0 AND v.a > :tol)
    RETURNING old_code, new_code, households, share, area_m2
    """
)

_SUCCESSORS = (
    "CREATE TEMP TABLE redraw_successors ON COMMIT DROP AS SELECT * FROM "
    "unnest(CAST(:old AS text[]), CAST(:new AS text[])) s (old, new)"
)

_PEOPLE = text(
    """
    CREATE TEMP TABLE redraw_people ON COMMIT DROP AS
    SELECT p.id, p.grid_code AS old, m.new FROM persons p JOIN redraw_moved m ON m.id = p.house_id
    WHERE p.deleted_at IS NULL AND p.grid_code IS DISTINCT FROM m.new
    UNION ALL
    SELECT p.id, p.grid_code, s.new FROM persons p JOIN redraw_successors s ON s.old = p.grid_code
    WHERE p.deleted_at IS NULL AND p.house_id IS NULL
    """
)

# An open door-visit task follows its house (read before visit_tasks is updated).
_MOVED_VISITS = (
    "SELECT t.id, t.grid_code AS old, m.new FROM visit_tasks t JOIN redraw_moved m "
    "ON m.id = t.house_id WHERE t.state = 'open' AND t.grid_code <> m.new"
)

# Records that changed cell: the feed notes them (tombstones first). The devices of an old
# cell's workers now walk its successor: they hold the record but will no longer hear about
# the old cell, so the successor gets a tombstone too.
_MOVED_RECORDS = (
    "SELECT 'house', code, old, new FROM redraw_moved WHERE old <> new "
    "UNION ALL SELECT 'person', id::text, old, new FROM redraw_people "
    f"UNION ALL SELECT 'visit', v.id::text, v.old, v.new FROM ({_MOVED_VISITS}) v"
)
_SUCCESSOR_TOMBSTONES = f"""
    INSERT INTO changes (grid_code, record_type, record_key, op)
    SELECT s.new, 'house', m.code, 'left' FROM redraw_moved m
    JOIN redraw_successors s ON s.old = m.old WHERE s.new <> m.new
    UNION ALL
    SELECT s.new, 'person', x.id::text, 'left' FROM redraw_people x
    JOIN redraw_successors s ON s.old = x.old WHERE s.new <> x.new
    UNION ALL
    SELECT s.new, 'visit', v.id::text, 'left' FROM ({_MOVED_VISITS}) v
    JOIN redraw_successors s ON s.old = v.old WHERE s.new <> v.new
    """


def _check_date(effective: date, settings: Settings, old_cells, community: str) -> None:
    if effective > settings.today:
        raise ValidationFailed.field(
            "effective_date",
            f"must not be after today ({settings.today}): houses and people move at once",
        )
    for code, valid_from in old_cells:
        if effective < valid_from:
            raise ValidationFailed.field(
                "effective_date", f"must not precede {valid_from}, when cell {code} began"
            )
    last = db.session.execute(_LAST_HOUSE_MOVE, {"community": community}).scalar()
    if last is not None and effective < last:
        raise ValidationFailed.field(
            "effective_date", f"must not precede {last}, when a house of {community} last moved"
        )


def _check_current(proposal) -> None:
    if proposal.status != "draft":
        raise Conflict(
            f"Proposal {proposal.id} is {proposal.status}; only a draft can be approved.",
            code="proposal_closed",
        )
    if preview.fingerprint(proposal.community_code) != proposal.fingerprint:
        raise Conflict(
            f"Proposal {proposal.id} is stale: the houses or grid cells of community "
            f"{proposal.community_code} changed since it was made; make a new proposal.",
            code="stale_proposal",
        )


def _codes(proposal, cell_rows: list[dict]) -> dict[int, str]:
    """New 15-digit codes, numbered in reading order after the highest sequence ever used."""
    community = proposal.community_code
    last = db.session.execute(_LAST_SEQUENCE, {"community": community}).scalar()
    order = preview.ordered(cell_rows)
    if last + len(order) > LAST_SEQUENCE:
        raise Conflict(
            f"Community {community} has used grid sequences up to {last:03d}; "
            f"{len(order)} new cells would pass {LAST_SEQUENCE}.",
            code="sequence_exhausted",
        )
    return {cell: f"{community}{last + i + 1:03d}" for i, cell in enumerate(order)}


def _names(community: str, codes: list[str]) -> list[str]:
    """Names for the new cells in the pattern of the community's cells (redraw/naming.py)."""
    area = db.session.scalar(select(Area.name).where(Area.code == community))
    cells = db.session.execute(
        select(Area.code, Area.name).where(Area.parent_code == community, Area.level == "grid")
    ).all()
    template = naming.pattern(area, [(c, n) for c, n in cells])
    return [naming.name_for(template, code) for code in codes]


def approve(
    principal: Principal | None, proposal_id: int, effective: date | None, settings: Settings
) -> dict:
    """Put a draft proposal in force from `effective` (default today), all or nothing."""
    try:
        result = _approve(principal, proposal_id, effective or settings.today, settings)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return result


def _approve(principal, proposal_id: int, effective: date, settings: Settings) -> dict:
    _may_approve(principal, settings)
    # The community's lock before the proposal's row: two approvals in one community then
    # queue on the lock instead of each holding a row the other needs.
    community = load_proposal(principal, proposal_id).community_code
    db.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('gridgov.redraw:' || :community))"),
        {"community": community},
    )
    proposal = load_proposal(principal, proposal_id, lock=True)
    args = {"community": community, "proposal": proposal.id, "on": effective}
    _check_current(proposal)
    cell_rows = preview.cells(proposal.id, geometry=False)
    broken = [c["cell"] for c in cell_rows if not c["contiguous"]]
    if broken:
        raise ValidationFailed(
            f"cells {', '.join(map(str, broken))} are not in one piece; edit the proposal first",
            code="proposal_invalid",
        )
    old_cells = db.session.execute(_OLD_CELLS, {**args, "cells": proposal.cells}).all()
    _check_date(effective, settings, old_cells, community)
    codes = _codes(proposal, cell_rows)
    old = [code for code, _ in old_cells]
    mapping = {"cells": list(codes), "codes": list(codes.values())}
    names = _names(community, list(codes.values()))

    db.session.execute(
        text("UPDATE areas SET valid_to = :on WHERE code = ANY(:old)"), {**args, "old": old}
    )
    db.session.execute(_NEW_CELLS, {**args, **mapping, "names": names})
    faults = topology.check(community, settings.tolerance_m2)
    if faults:
        raise ValidationFailed(
            f"the new cells fail the topology check ({len(faults)} fault(s), first: "
            f"{faults[0]['kind']})",
            errors=[field_error("cells", str(f)) for f in faults[:20]],
            code="topology_failed",
        )
    db.session.execute(_MOVED, {**args, **mapping})
    lineage = db.session.execute(
        _LINEAGE, {**args, "old": old, "new": list(codes.values()), "tol": settings.tolerance_m2}
    ).all()
    successors = successors_of(lineage)
    db.session.execute(
        text(_SUCCESSORS),
        {"old": list(successors), "new": [s[0] for s in successors.values()]},
    )
    db.session.execute(_PEOPLE)
    # The statistics triggers close each house's old cell in house_grids on this date.
    db.session.execute(
        text("SELECT set_config('gridgov.effective_date', :on, true)"),
        {"on": effective.isoformat()},
    )
    houses = db.session.execute(
        text(
            "UPDATE houses h SET grid_code = m.new, updated_at = now() FROM redraw_moved m "
            "WHERE h.id = m.id AND h.grid_code <> m.new"
        )
    ).rowcount
    people = db.session.execute(
        text(
            "UPDATE persons p SET grid_code = x.new, updated_at = now() FROM redraw_people x "
            "WHERE p.id = x.id"
        )
    ).rowcount
    left, upserts = feed.moves_sql(_MOVED_RECORDS)
    for statement in (left, _SUCCESSOR_TOMBSTONES, upserts):
        db.session.execute(text(statement))
    db.session.execute(
        text(
            f"UPDATE visit_tasks t SET grid_code = v.new FROM ({_MOVED_VISITS}) v WHERE t.id = v.id"
        )
    )
    workers = rebind_workers(principal, old, successors)

    proposal.status, proposal.effective_date = "approved", effective
    proposal.approved_by, proposal.approved_at = actor_id(principal), func.now()
    db.session.execute(
        text(
            "UPDATE grid_proposals SET status = 'superseded' WHERE community_code = :community "
            "AND status = 'draft' AND id <> :proposal"
        ),
        args,
    )
    created = [
        {
            "code": codes[c["cell"]],
            "cell": c["cell"],
            "households": c["households"],
            "persons": c["persons"],
        }
        for c in sorted(cell_rows, key=lambda c: codes[c["cell"]])
    ]
    result = {
        "proposal": proposal.id,
        "community": community,
        "effective_date": effective.isoformat(),
        "closed": old,
        "created": created,
        "lineage": [
            {
                "old": r.old_code,
                "new": r.new_code,
                "households": r.households,
                "share": round(r.share, 4),
                "area_m2": round(r.area_m2, 1),
            }
            for r in sorted(lineage, key=lambda r: (r.old_code, r.new_code))
        ],
        "moved": {"houses": houses, "people": people},
        "workers": workers,
        "flagged": [w for w in workers if w.get("flagged")],
    }
    record(
        "approve_grid_proposal",
        "grid_proposal",
        str(proposal.id),
        actor_id=actor_id(principal),
        before={"cells": old},
        after={
            "effective_date": effective.isoformat(),
            "cells": [c["code"] for c in created],
            "moved": result["moved"],
            "workers": len(workers),
            "flagged": len(result["flagged"]),
        },
    )
    return result
