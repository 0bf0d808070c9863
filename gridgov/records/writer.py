"""Who writes, from where, with which keys and code tables: passed to every house and person
write. It holds no rows: what a write reads, it is given or looks up itself."""

from dataclasses import dataclass, field
from datetime import date

from gridgov.clock import district_today
from gridgov.crypto import Vault
from gridgov.errors import Forbidden
from gridgov.scope import Principal, covers


@dataclass(frozen=True)
class Writer:
    principal: Principal
    device_id: str | None
    vault: Vault
    codes: dict[str, frozenset[str]]
    today: date = field(default_factory=district_today)

    def require_scope(self, grid_code: str, what: str) -> None:
        if not covers(self.principal, grid_code):
            raise Forbidden(
                f"{what} lies in grid cell {grid_code}, outside your areas.", code="outside_scope"
            )
