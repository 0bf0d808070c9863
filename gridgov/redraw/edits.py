"""Edit a proposal before approval: move blocks between cells, merge two cells, split one."""

from sqlalchemy import text

from gridgov.audit.service import record
from gridgov.errors import Conflict, ValidationFailed
from gridgov.extensions import db
from gridgov.redraw import partition
from gridgov.redraw.models import Proposal
from gridgov.redraw.service import EDIT_OPS, _assign, _graph
from gridgov.redraw.views import actor_id, load_proposal, view_of
from gridgov.scope import Principal

_PARTS = text(
    """
    SELECT cell, ST_NumGeometries(ST_Union(geom)) AS parts FROM grid_proposal_blocks
    WHERE proposal_id = :proposal AND cell = ANY(:cells) GROUP BY cell ORDER BY cell
    """
)


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
    """Split a cell in two; a cell in pieces is split into its pieces, which mends it."""
    cell = _existing(cells, data.get("cell"), "cell", proposal.id)
    found, adjacency = _graph(proposal.id, cell)
    parts = partition.pieces({b.no for b in found}, adjacency)
    if len(parts) > 1:
        by_no = {b.no: b for b in found}
        new = max(cells) + 1
        strays = [[by_no[no] for no in sorted(p)] for p in parts[1:]]
        _assign(proposal.id, strays, first=new)
        return {"cell": cell, "into": [cell, *range(new, new + len(strays))], "pieces": True}
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
