import pytest
from sqlalchemy import func, select

from gridgov.accounts.models import User
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


def audit_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def usernames() -> list[str]:
    db.session.remove()
    return list(db.session.scalars(select(User.username).order_by(User.username)))


def test_only_admins_manage_accounts(client, admin):
    staff = f.auth_as(client, "district_staff", [f.DISTRICT])
    before, audited = usernames(), audit_rows()
    listed = client.get("/api/v1/users", headers=staff)
    assert listed.status_code == 403 and listed.json["code"] == "forbidden"
    assert "username" not in listed.text  # no account is shown with the refusal
    made = client.post("/api/v1/users", json=new_user(), headers=staff)
    assert made.status_code == 403
    assert usernames() == before and "li.na" not in before  # and no account was created
    staff_id = db.session.scalar(select(User.id).where(User.username != "li.na").limit(1))
    assert client.get(f"/api/v1/users/{staff_id}", headers=staff).status_code == 403
    assert audit_rows() == audited


def test_admins_list_every_account_and_read_one(client, admin):
    created = client.post("/api/v1/users", json=new_user(), headers=admin).json
    listed = client.get("/api/v1/users", headers=admin)
    assert listed.status_code == 200
    assert [(u["username"], u["role"], u["areas"]) for u in listed.json] == [
        (name, role, areas)
        for name, role, areas in sorted(
            [("li.na", "street_staff", ["440303001000"]), *admin_accounts()]
        )
    ]
    assert all("password" not in u and "password_hash" not in u for u in listed.json)
    one = client.get(f"/api/v1/users/{created['id']}", headers=admin)
    assert one.status_code == 200 and one.json == created
    missing = client.get(f"/api/v1/users/{created['id'] + 100}", headers=admin)
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"


def admin_accounts() -> list[tuple]:
    """The accounts the fixtures made (the admin itself), as the list shows them."""
    return [
        (u.username, u.role, [])
        for u in db.session.scalars(select(User).where(User.username != "li.na"))
    ]


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
