import pytest

from tests import factories as f


@pytest.fixture
def worker(client):
    """A grid worker bound to one cell of the synthetic district."""
    f.make_district()
    return f.auth_as(client, "grid_worker", [f.OWN_CELL], username="wang")


@pytest.fixture
def house(client, worker):
    [result] = f.upload(client, worker, f.envelope("house", f.house_data()))
    assert result["outcome"] == "created"
    return result["key"]
