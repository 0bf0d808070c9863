"""What a write of one record came to, and the edit that came too late."""

from dataclasses import dataclass, field

from gridgov.errors import GridgovError


@dataclass
class Outcome:
    outcome: str  # created, updated, deleted, unchanged, conflict, rejected
    status: int
    key: str | None = None
    version: int | None = None
    flags: list[str] = field(default_factory=list)
    code: str | None = None
    detail: str | None = None
    errors: list[dict] | None = None
    conflict_id: int | None = None

    @classmethod
    def refused(cls, e: GridgovError) -> "Outcome":
        return cls("rejected", e.status, code=e.code, detail=e.detail, errors=e.errors or None)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [])}


class Stale(Exception):
    """The record changed since the version the writer edited. It carries what a conflict
    needs (the record's key and cell, the fields that differ, masked), worked out by the write
    that found it stale, so nothing is validated or sealed again to file it."""

    def __init__(self, current_version: int, key: str, grid_code: str, fields: list[dict]):
        super().__init__(key)
        self.current_version = current_version
        self.key, self.grid_code, self.fields = key, grid_code, fields
