"""Where a resident can say they live, without a login: the district's streets and communities,
and a community's compounds, buildings, units and rooms as recorded on its houses. Read-only and
never a person; no house ids and no house codes (a code list would map every door plate to an
address, and the address alone names the house for a declaration)."""

import re

from sqlalchemy import select

from gridgov.crypto import Vault
from gridgov.declarations import Settings, guard
from gridgov.errors import NotFound
from gridgov.extensions import db
from gridgov.hierarchy.models import Area
from gridgov.houses.models import House


def _throttle(vault: Vault, address: str | None, s: Settings) -> None:
    """The submission's own per-address throttle (one owner): an address refused for declaring
    too often is refused the address pickers too."""
    guard.throttle(vault.index(address or "-", "declaration.address"), s)


def district(vault: Vault, address: str | None, s: Settings) -> dict:
    _throttle(vault, address, s)
    rows = db.session.execute(
        select(Area.code, Area.name, Area.level, Area.parent_code)
        .where(Area.level.in_(("street", "community")), Area.valid_to.is_(None))
        .order_by(Area.code)
    )
    streets, communities = [], []
    for code, name, level, parent in rows:
        if level == "street":
            streets.append({"code": code, "name": name})
        else:
            communities.append({"code": code, "name": name, "parent": parent})
    return {"streets": streets, "communities": communities}


def _natural(text: str) -> list:
    """3号楼 before 12号楼: digits compared as numbers."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text) if p]


def community(vault: Vault, address: str | None, s: Settings, code: str) -> dict:
    _throttle(vault, address, s)
    name = db.session.scalar(
        select(Area.name).where(
            Area.code == code, Area.level == "community", Area.valid_to.is_(None)
        )
    )
    if name is None:
        raise NotFound(f"No community {code} in the district.", code="unknown_community")
    rows = db.session.execute(
        select(House.compound, House.building, House.unit, House.room)
        .where(
            House.code.startswith(code),  # the house code begins with its community's (indexed)
            House.community_code == code,
            House.deleted_at.is_(None),
        )
        .distinct()
    )
    tree: dict = {}
    for compound, building, unit, room in rows:
        tree.setdefault(compound, {}).setdefault(building, {}).setdefault(unit, []).append(room)

    def named(d: dict) -> list:
        return sorted(d, key=_natural)

    return {
        "community": {"code": code, "name": name},
        "compounds": [
            {
                "name": c,
                "buildings": [
                    {
                        "name": b,
                        "units": [
                            {"name": u, "rooms": sorted(tree[c][b][u], key=_natural)}
                            for u in named(tree[c][b])
                        ],
                    }
                    for b in named(tree[c])
                ],
            }
            for c in named(tree)
        ],
    }
