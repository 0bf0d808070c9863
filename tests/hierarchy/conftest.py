"""Fixtures of the hierarchy tests."""

import pytest

from tests import factories as f


@pytest.fixture
def district_staff(client):
    f.make_district()
    return f.auth_as(client, "district_staff", [f.DISTRICT])
