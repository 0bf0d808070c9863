"""After a redraw: which new cell succeeds each old one, and the grid workers bound to an old
cell bound to its successor instead (flagged when the old cell was split about evenly)."""

from sqlalchemy import text

from gridgov.audit.service import record
from gridgov.extensions import db
from gridgov.redraw.views import actor_id
from gridgov.scope.cache import announce_auth_change

# A worker follows the new cell that took most of their old cell's households; when the runner-up
# took nearly as many (shares within this margin), the choice is flagged for an admin.
AMBIGUOUS_MARGIN = 0.1

_BOUND_WORKERS = text(
    """
    SELECT ua.user_id, u.username, ua.area_code FROM user_areas ua
    JOIN users u ON u.id = ua.user_id WHERE ua.area_code = ANY(:old)
    ORDER BY ua.user_id, ua.area_code
    """
)


def successors_of(lineage: list) -> dict[str, tuple[str, bool]]:
    """Old cell -> (the new cell that took most of its households, whether that was a near tie)."""
    by_old: dict[str, list] = {}
    for row in lineage:
        by_old.setdefault(row.old_code, []).append(row)
    out = {}
    for old, rows in by_old.items():
        if any(r.households for r in rows):
            rows.sort(key=lambda r: (-r.households, r.new_code))
        else:
            rows.sort(key=lambda r: (-r.area_m2, r.new_code))
        top = rows[0]
        near_tie = len(rows) > 1 and rows[0].share - rows[1].share < AMBIGUOUS_MARGIN
        out[old] = (top.new_code, near_tie or top.households == 0)
    return out


def rebind_workers(principal, old_codes: list[str], successors: dict) -> list[dict]:
    moved = []
    for user_id, username, old in db.session.execute(_BOUND_WORKERS, {"old": old_codes}):
        new, flagged = successors[old]
        db.session.execute(
            text("DELETE FROM user_areas WHERE user_id = :u AND area_code = :old"),
            {"u": user_id, "old": old},
        )
        db.session.execute(
            text(
                "INSERT INTO user_areas (user_id, area_code) VALUES (:u, :new) "
                "ON CONFLICT DO NOTHING"
            ),
            {"u": user_id, "new": new},
        )
        entry = {"user_id": user_id, "username": username, "from": old, "to": new}
        if flagged:
            entry["flagged"] = True
            entry["reason"] = (
                f"cell {old} was split about evenly; check that {username} should walk {new}"
            )
        record(
            "rebind_user",
            "user",
            str(user_id),
            actor_id=actor_id(principal),
            before={"area": old},
            after={"area": new, "flagged": flagged},
        )
        moved.append(entry)
    if moved:
        announce_auth_change()
    return moved
