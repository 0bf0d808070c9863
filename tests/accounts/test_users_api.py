import pytest
from sqlalchemy import select

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from tests import factories as f


@pytest.fixture
def admin(client):
    f.make_district()
    return f.auth_as(client, "admin", [])


def new_user(**overrides):
    body = {
        "username": "li.na",
        "password": "s3cure-enough",
        "role": "street_staff",
        "areas": ["440303001000"],
        "display_name": "李娜",
    }
    return {**body, **overrides}


def test_admin_creates_an_account_bound_to_a_street(client, admin):
    response = client.post("/api/v1/users", json=new_user(), headers=admin)
    assert response.status_code == 201
    assert {k: response.json[k] for k in ("username", "role", "areas", "active")} == {
        "username": "li.na",
        "role": "street_staff",
        "areas": ["440303001000"],
        "active": True,
    }
    assert "password" not in response.json
    assert f.login(client, "li.na", "s3cure-enough")["access_token"]


def test_account_creation_is_audited_without_the_password(client, admin):
    client.post("/api/v1/users", json=new_user(), headers=admin)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "create_user").order_by(AuditEvent.id.desc())
    ).first()
    assert event.after["areas"] == ["440303001000"]
    assert "s3cure-enough" not in str(event.after)


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"role": "mayor"}, "role", "Must be one of"),
        (
            {"areas": ["440303001001"]},
            "areas",
            "is a community; a street_staff is bound to streets",
        ),
        ({"areas": ["440303009000"]}, "areas", "is not an area in force"),
        ({"areas": []}, "areas", "needs at least one street"),
        ({"password": "short"}, "password", "at least 10 characters"),
        ({"password": "onlyletterslong"}, "password", "mix letters with digits"),
        ({"username": "a b"}, "username", "letters, digits"),
    ],
)
def test_a_bad_account_names_the_field_and_the_rule(client, admin, overrides, field, message):
    response = client.post("/api/v1/users", json=new_user(**overrides), headers=admin)
    assert response.status_code == 422
    assert any(e["field"] == field and message in e["message"] for e in response.json["errors"])


def test_a_taken_username_is_a_409(client, admin):
    client.post("/api/v1/users", json=new_user(), headers=admin)
    response = client.post("/api/v1/users", json=new_user(), headers=admin)
    assert response.status_code == 409 and response.json["code"] == "username_taken"


def test_only_admins_manage_accounts(client, admin):
    staff = f.auth_as(client, "district_staff", [f.DISTRICT])
    assert client.get("/api/v1/users", headers=staff).status_code == 403
    assert client.post("/api/v1/users", json=new_user(), headers=staff).status_code == 403


def test_moving_a_worker_to_another_cell_is_audited_before_and_after(client, admin):
    worker = f.make_user("zhao", "grid_worker", ["440303001001001"])
    response = client.patch(
        f"/api/v1/users/{worker}", json={"areas": ["440303002001002"]}, headers=admin
    )
    assert response.json["areas"] == ["440303002001002"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update_user")).one()
    assert (event.before["areas"], event.after["areas"]) == (
        ["440303001001001"],
        ["440303002001002"],
    )
    token = f.login(client, "zhao")["access_token"]
    assert client.get("/api/v1/grids/440303001001001", headers=f.bearer(token)).status_code == 404


def create_by_cli(cli, role: str, area: str):
    args = [
        "users",
        "create",
        "chen",
        "--role",
        role,
        "--area",
        area,
        "--password",
        "another-pass-9",
    ]
    return cli.invoke(args=args)


def test_the_cli_creates_an_account(cli):
    f.make_district()
    result = create_by_cli(cli, "district_staff", f.DISTRICT)
    assert result.exit_code == 0, result.output
    assert "created chen (district_staff)" in result.output


def test_the_cli_refuses_a_worker_bound_to_a_street(cli):
    f.make_district()
    result = create_by_cli(cli, "grid_worker", "440303001000")
    assert result.exit_code == 1 and "a grid_worker is bound to grids" in result.output
