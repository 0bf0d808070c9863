"""Shared by the export tests: the two streets and a house added through the upload."""

from tests import factories as f
from tests.stats import helpers as h

WEST_STREET, EAST_STREET = "440303001000", "440303002000"
EAST_CELL = "440303002001001"


def add_house(client, headers, cell: str, room: str, **overrides) -> str:
    point = h.cell_point(cell, int(room))
    data = f.house_data(room=room, point=point, **overrides)
    [result] = f.upload(client, headers, f.envelope("house", data, position=point))
    assert result["outcome"] == "created", result
    return result["key"]
