"""The change feed devices pull: what changed in which grid cell, with tombstones for a cell a
record left. The one owner of how a change is noted, in Python and in SQL."""

from gridgov.bulk import add_row
from gridgov.feed.models import Change


def note(record_type: str, key: str, grid_code: str, op: str) -> None:
    """A change (upsert or delete) of a record in a cell."""
    add_row(Change, grid_code=grid_code, record_type=record_type, record_key=key, op=op)


def note_written(record_type: str, key: str, grid_code: str, old_grid: str | None = None) -> None:
    """A record written in `grid_code`; if it was in another cell before, that cell's devices
    hear first that it left."""
    if old_grid is not None and old_grid != grid_code:
        note(record_type, key, old_grid, "left")
    note(record_type, key, grid_code, "upsert")


def moves_sql(moved: str) -> tuple[str, str]:
    """note_written for many records at once: (the tombstones, the upserts) as two INSERTs from
    `moved`, a query of (record_type, record_key, old_grid, new_grid). Run the tombstones first,
    like note_written; an old_grid that is NULL or equal to new_grid gets no tombstone."""
    source = f"(SELECT * FROM ({moved}) m (record_type, record_key, old_grid, new_grid))"
    insert = "INSERT INTO changes (grid_code, record_type, record_key, op) "
    left = (
        f"{insert}SELECT old_grid, record_type, record_key, 'left' FROM {source} s "
        "WHERE old_grid IS DISTINCT FROM new_grid AND old_grid IS NOT NULL"
    )
    upsert = f"{insert}SELECT new_grid, record_type, record_key, 'upsert' FROM {source} s"
    return left, upsert
