"""Fixtures of the export tests: desk staff and a small town with formula-like text."""

import pytest

from tests import factories as f
from tests.exports.helpers import EAST_CELL, WEST_STREET, add_house
from tests.stats import helpers as h


@pytest.fixture
def staff(client):
    f.make_district()
    return f.auth_as(client, "district_staff", [f.DISTRICT])


@pytest.fixture
def street_staff(client, staff):
    return f.auth_as(client, "street_staff", [WEST_STREET])


@pytest.fixture
def town(client, staff):
    """Two houses and two people in the west street (with formula-like text), one of each in
    the east street."""
    west = add_house(
        client,
        staff,
        f.OWN_CELL,
        "101",
        owner_name="+1",
        compound="@SUM(A1)",
        rented=True,
        rental=f.rental_data(landlord_name="-2+3"),
    )
    quiet = add_house(client, staff, f.OWN_CELL, "102")
    east = add_house(client, staff, EAST_CELL, "101", owner_name="东边业主")
    h.add_person(client, staff, 1, west, name="张三")
    h.add_person(client, staff, 2, quiet, kind="resident", name='=HYPERLINK("x")')
    h.add_person(client, staff, 3, east, name="李四")
    return {"west": west, "quiet": quiet, "east": east}
