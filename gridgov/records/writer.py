"""Who writes, from where, with which keys and code tables: passed to every house and person
write. It holds no rows: what a write reads, it is given or looks up itself."""

from dataclasses import dataclass, field
from datetime import date

from gridgov.clock import district_today
from gridgov.crypto import Vault
from gridgov.errors import Forbidden, NotFound, ValidationFailed
from gridgov.scope import Principal, covers


@dataclass(frozen=True)
class Writer:
    principal: Principal
    device_id: str | None
    vault: Vault
    codes: dict[str, frozenset[str]]
    today: date = field(default_factory=district_today)

    def covers(self, grid_code: str | None) -> bool:
        return grid_code is not None and covers(self.principal, grid_code)

    def require_house(self, code: str, grid_code: str | None) -> None:
        """A house the record names by its code: beyond the writer's areas it is not known,
        word for word as a code nobody has (a refusal must not tell where a house lies)."""
        if not self.covers(grid_code):
            raise unknown_house_named(code)

    def require_coded_house(self, code: str, grid_code: str | None) -> None:
        """A house record addressed by its code: beyond the writer's areas, not found."""
        if not self.covers(grid_code):
            raise house_not_found(code)

    def require_scope(self, grid_code: str, what: str) -> None:
        if not covers(self.principal, grid_code):
            raise Forbidden(
                f"{what} lies in grid cell {grid_code}, outside your areas.", code="outside_scope"
            )


def unknown_house_named(code: str) -> ValidationFailed:
    return ValidationFailed.field("data.house_code", f"{code} is not a known house")


def house_not_found(code: str) -> NotFound:
    return NotFound(f"No house with code {code} in your scope.", code="unknown_house")
