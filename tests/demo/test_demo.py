"""The bundled demo district that make run loads."""

import json

from sqlalchemy import func, select

from gridgov.demo import service
from gridgov.extensions import db
from gridgov.hierarchy import topology
from gridgov.hierarchy.models import Area


def counts():
    rows = db.session.execute(select(Area.level, func.count()).group_by(Area.level)).all()
    return dict(rows)


def test_demo_district_loads_real_codes_and_a_seamless_partition(cli):
    result = cli.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert counts() == {"district": 1, "street": 10, "community": 109, "grid": 519}
    assert topology.check("440303", 1.0) == []
    dedicated = db.session.scalar(select(func.count()).where(Area.grid_type == "dedicated"))
    assert dedicated > 0
    # Every level starts when its cells (and the generated residences) do.
    starts = db.session.execute(select(Area.level, func.min(Area.valid_from)).group_by(Area.level))
    assert set(dict(starts.all()).values()) == {service.DEMO_START}


def test_loading_the_demo_twice_changes_nothing(cli):
    cli.invoke(args=["demo", "load"])
    again = json.loads(cli.invoke(args=["demo", "load"]).output)
    assert all(part["created"] == part["updated"] == 0 for part in again.values())
    assert again["grids"]["unchanged"] == 519


def test_streets_cover_the_real_district_outline():
    service.load(1.0)
    uncovered = db.session.scalar(
        select(
            func.coalesce(
                func.area_m2(
                    func.ST_Difference(
                        select(Area.geom).where(Area.level == "district").scalar_subquery(),
                        select(func.ST_Union(Area.geom))
                        .where(Area.level == "street")
                        .scalar_subquery(),
                    )
                ),
                0.0,  # nothing left over at all: an empty difference has no area
            )
        )
    )
    assert uncovered < 10  # m², of 78.9 km²


def test_demo_accounts_are_created_once_and_can_log_in(cli, client, tmp_path):
    service.load(1.0)
    saved = tmp_path / "accounts.txt"
    first = cli.invoke(args=["demo", "accounts", "--save", str(saved)])
    assert "shown once" in first.output
    lines = saved.read_text().split("\n")
    username, role, password = lines[0].split()
    assert (username, role) == ("demo_admin", "admin")
    again = cli.invoke(args=["demo", "accounts", "--save", str(saved)])
    assert "exist already" in again.output
    for line in filter(None, lines):
        name, _, pw = line.split()
        response = client.post("/api/v1/auth/login", json={"username": name, "password": pw})
        assert response.status_code == 200, name
    assert password.startswith("demo-")
