"""Builders for declarations: bodies as a resident's phone sends them, the desk's accounts, and
rules without the random sample (so a route is certain)."""

from sqlalchemy import func, select

from gridgov.declarations.models import Declaration
from gridgov.extensions import db
from tests import factories as f

STREET = "440303001000"
OTHER_STREET = "440303002000"
DEFAULT_RULES = [
    {"name": "与登记一致", "kind": "identical", "params": {}, "route": "no_change"},
    {"name": "房屋未登记", "kind": "house_not_on_record", "params": {}, "route": "visit"},
    {"name": "性别与身份证号不符", "kind": "sex_mismatch", "params": {}, "route": "visit"},
    {"name": "已在辖区他处居住", "kind": "lives_elsewhere", "params": {}, "route": "visit"},
    {
        "name": "出租房新增流动人口",
        "kind": "new_floating_in_rental",
        "params": {},
        "route": "visit",
    },
    {
        "name": "房屋居住人数超过6人",
        "kind": "occupants_above",
        "params": {"n": 6},
        "route": "visit",
    },
    {"name": "身份证号仅手工录入", "kind": "typed_only", "params": {}, "route": "visit"},
    {
        "name": "电话号码变更",
        "kind": "field_changed",
        "params": {"field": "phone"},
        "route": "desk",
    },
]


def person(seq: int, kind: str = "resident", **overrides) -> dict:
    data = {
        "id_number": f.id_number(seq),
        "name": f"申报{seq}",
        "sex": "1" if seq % 2 else "2",
        "ethnicity": "01",
        "phone": "13912345678",
        "kind": kind,
        "capture_method": "card_reader",
    }
    return {**data, **overrides}


FLOATING = {
    "arrival_date": "2026-03-01",
    "inflow_reason": "01",
    "residence_type": "01",
    "origin_code": "430302",
}


def body(seq: int, house_code: str, kind: str = "resident", **overrides) -> dict:
    out = {"person": person(seq, kind), "house_code": house_code}
    if kind == "floating":
        out["floating"] = dict(FLOATING)
    return {**out, **overrides}


def stored() -> int:
    """How many declarations are in staging."""
    return db.session.scalar(select(func.count()).select_from(Declaration))


_admins = 0


def declare(client, data: dict, address: str = "10.1.0.1", status: int = 201):
    response = client.post(
        "/api/v1/declarations", json=data, environ_overrides={"REMOTE_ADDR": address}
    )
    assert response.status_code == status, response.json
    return response.json


def rules(client, sample_rate: float = 0.0, rules=None) -> dict:
    """Store the default rules again with another sample rate (an admin's PUT)."""
    global _admins
    _admins += 1
    admin = f.auth_as(client, "admin", [], username=f"rules_admin_{_admins}")
    response = client.put(
        "/api/v1/declarations/rules",
        json={"rules": rules or DEFAULT_RULES, "sample_rate": sample_rate},
        headers=admin,
    )
    assert response.status_code == 200, response.json
    return response.json


def queue(client, headers, **query) -> list[dict]:
    response = client.get("/api/v1/declarations", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["declarations"]
