"""The authorization matrix, generated from the OpenAPI document: every operation x the four
roles x own cell / neighbour cell / neighbour community / neighbour street, reads and writes
(each sync record type and operation too, door-visit results included).

It fails on any cross-scope success (a 2xx or an applied record for a neighbour's area, or a
neighbour's house code, name or masked number anywhere in an answer), on any refusal that differs
between "absent" and "not yours", on a role refused its own area as "not found", and on an
operation the document lists that has no entry here, so a new endpoint cannot go unchecked."""

import json
import math
import re
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from gridgov.declarations.models import Declaration
from gridgov.extensions import api, db
from tests import factories as f
from tests.stats.helpers import cell_point

TARGETS = {
    "own": "440303001001001",
    "cell": "440303001001002",
    "community": "440303001002001",
    "street": "440303002001001",
}
ROLES = {
    "grid_worker": ["440303001001001"],
    "street_staff": ["440303001000"],
    "district_staff": ["440303000000"],
    "admin": [],
}
PREFIX = {"grid_worker": "440303001001001", "street_staff": "440303001", "district_staff": "440303"}
ABSENT_ID = 987_654_321
# The sync records a device may send about a target's house and person (type, op).
SYNC_OPS = (
    ("house", "upsert"),
    ("house", "delete"),
    ("person", "upsert"),
    ("person", "move"),
    ("person", "delete"),
    ("visit", "result"),
)


def in_scope(role: str, code: str) -> bool:
    """Whether the role may work on the area: it lies inside the role's areas, or (a community
    named for building numbers or a redraw) holds the role's cell."""
    if role == "admin":
        return True
    return code.startswith(PREFIX[role]) or (len(code) == 12 and PREFIX[role].startswith(code))


def area_of(target: str) -> str:
    """The area a request names for a target: the cell, or its community or street."""
    cell = TARGETS[target]
    return {"community": cell[:12], "street": cell[:9] + "000"}.get(target, cell)


def absent_area(code: str) -> str:
    """A code of the same level and parent that no area has."""
    if len(code) == 15:
        return code[:12] + "009"
    return code[:9] + "009" if not code.endswith("000") else code[:6] + "009000"


def tile(point, z=16) -> tuple[int, int, int]:
    lon, lat = point
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


@dataclass
class Req:
    method: str
    path: str
    body: object = None
    absent_path: str | None = None  # the same request naming something that does not exist
    absent_body: object = None
    keys: tuple[str, str] = ("", "")  # (the target's key, the absent key) in answers
    destructive: bool = False  # sent only where it must be refused
    area: str | None = None  # the area whose scope decides, when not the target's cell
    # Transfer requests into the caller's areas show the masked number the device sent (it
    # may name someone recorded elsewhere, whose record they do not show).
    echoes_masked: bool = False


@dataclass
class World:
    houses: dict = field(default_factory=dict)  # target -> (house code, house data)
    persons: dict = field(default_factory=dict)  # target -> (id, id number, person data)
    conflicts: dict = field(default_factory=dict)
    proposals: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    transfers: dict = field(default_factory=dict)  # target -> a request into the target's cell
    reserved: dict = field(default_factory=dict)  # target -> a building number in its community
    jobs: dict = field(default_factory=dict)  # (role, target) -> an export job of that role's
    role: str = "admin"  # whose matrix is being run (a job is its requester's only)
    visits: dict = field(default_factory=dict)  # target -> a door-visit task for its house
    declarations: dict = field(default_factory=dict)  # target -> a declaration in its cell

    def secrets(self, target: str) -> list[str]:
        code, _ = self.houses[target]
        _, number, data = self.persons[target]
        return [code, data["name"], number[:6] + "*" * 8 + number[-4:], number]


def build_world(client) -> tuple[World, dict]:
    f.make_district()
    w = World()
    tokens = {}
    for role, areas in ROLES.items():
        w.users[role] = f.make_user(f"m_{role}", role, areas)
        tokens[role] = f.bearer(f.login(client, f"m_{role}")["access_token"])
    district = tokens["district_staff"]
    for i, (target, cell) in enumerate(TARGETS.items()):
        point = cell_point(cell, i + 1)
        house = f.house_data(room=f"9{i}1", point=point, compound=f"矩阵苑{target}")
        [h] = f.upload(client, district, f.envelope("house", house, position=point))
        w.houses[target] = (h["key"], house)
        number = f.id_number(300 + i)
        person = f.person_data(300 + i, h["key"], name=f"矩阵人{target}", id_number=number)
        person["phone"] = f"1380000{300 + i:04d}"
        [p] = f.upload(client, district, f.envelope("person", person, position=point))
        f.upload(
            client,
            district,
            f.envelope("person", {**person, "occupation": "甲"}, base_version=1, position=point),
        )
        [c] = f.upload(
            client,
            district,
            f.envelope("person", {**person, "occupation": "乙"}, base_version=1, position=point),
        )
        w.persons[target] = (int(p["key"]), number, person)
        w.conflicts[target] = c["conflict_id"]
        proposal = client.post(
            "/api/v1/grids/proposals",
            json={"community": cell[:12], "min": 1, "max": 100},
            headers=district,
        )
        assert proposal.status_code == 201, proposal.json
        w.proposals[target] = proposal.json["id"]
        moved = {"id_number": f.id_number(390 + i), "house_code": h["key"]}
        [t] = f.upload(client, district, f.envelope("person", moved, op="move", position=point))
        assert t["outcome"] == "transfer_requested", t
        w.transfers[target] = int(t["key"])
        reserved = client.post(
            "/api/v1/sync/building-numbers",
            json={"device_id": "m-1", "community": cell[:12], "count": 1},
            headers=district,
        )
        assert reserved.status_code == 201, reserved.json
        [w.reserved[target]] = reserved.json["numbers"]
        for role in ROLES:
            if in_scope(role, area_of(target)):
                job = client.get(
                    f"/api/v1/exports/stats/{area_of(target)}?async=true", headers=tokens[role]
                )
                assert job.status_code == 202, job.json
                w.jobs[(role, target)] = job.json["id"]
        visit = client.post(
            "/api/v1/visits", json={"house_code": h["key"], "reason": "矩阵核查"}, headers=district
        )
        assert visit.status_code == 201, visit.json
        w.visits[target] = visit.json["id"]
        # The target's person declares a new phone number (a desk check in the target's cell).
        declared = {
            "person": {
                **{k: person[k] for k in ("id_number", "name", "sex", "kind")},
                "phone": f"1390000{300 + i:04d}",
                "capture_method": "card_reader",
            },
            "house_code": h["key"],
            "floating": {k: v for k, v in person["floating"].items()},
        }
        answer = client.post("/api/v1/declarations", json=declared)
        assert answer.status_code == 201, answer.json
        w.declarations[target] = declaration_id(answer.json["reference"])
    return w, tokens


def declaration_id(reference: str) -> int:
    return db.session.scalar(select(Declaration.id).where(Declaration.reference == reference))


def record(type_, op, data, position, base_version=None):
    return f.envelope(type_, data, op=op, base_version=base_version, position=position)


def sync_requests(w: World, t: str) -> list[Req]:
    """One upload per record type and operation about the target's house or person, each with
    its twin about a house or person that does not exist."""
    code, house = w.houses[t]
    _, number, person = w.persons[t]
    own_code, _ = w.houses["own"]
    point = cell_point(TARGETS[t], 9)
    absent_code = code[:-4] + "9999"
    fresh = f.id_number(399)
    pairs = {
        ("house", "upsert"): (
            {**house, "code": code, "floor_area": "80.00"},
            {**house, "code": absent_code, "floor_area": "80.00"},
            (code, absent_code),
        ),
        ("house", "delete"): ({"code": code}, {"code": absent_code}, (code, absent_code)),
        ("person", "upsert"): (
            {**person, "occupation": "丙"},
            {**person, "id_number": fresh, "occupation": "丙"},
            (number, fresh),
        ),
        ("person", "move"): (
            {"id_number": number, "house_code": own_code},
            {"id_number": fresh, "house_code": own_code},
            (number, fresh),
        ),
        ("person", "delete"): ({"id_number": number}, {"id_number": fresh}, (number, fresh)),
    }
    # The same, naming the person by the server's key (an edit laid over the stored record).
    pid, absent_id = str(w.persons[t][0]), str(ABSENT_ID)
    by_key = {
        ("person", "upsert"): ({"id": int(pid), "occupation": "丙"}, {"occupation": "丙"}),
        ("person", "move"): ({"id": int(pid), "house_code": own_code}, {"house_code": own_code}),
        ("person", "delete"): ({"id": int(pid)}, {}),
    }
    items = list(pairs.items()) + [
        ((type_, op), (data, {**absent, "id": ABSENT_ID}, (pid, absent_id)))
        for (type_, op), (data, absent) in by_key.items()
    ]
    out = []
    # A door-visit result for the target's task, and for a task nobody has.
    task = w.visits[t]
    items.append(
        (
            ("visit", "result"),
            (
                {"task_id": task, "result": "confirmed"},
                {"task_id": ABSENT_ID, "result": "confirmed"},
                (str(task), str(ABSENT_ID)),
            ),
        )
    )
    for (type_, op), (data, absent, keys) in items:
        base = 2 if (type_, op) != ("house", "upsert") else 1
        body = {"device_id": "m-1", "records": [record(type_, op, data, point, base)]}
        twin = {"device_id": "m-1", "records": [record(type_, op, absent, point, base)]}
        out.append(
            Req("POST", "/api/v1/sync/upload", body, "/api/v1/sync/upload", twin, keys, True)
        )
    return out


def area_get(path: str, **query):
    def build(w: World, t: str) -> list[Req]:
        code = area_of(t)
        q = "&".join(f"{k}={v}" for k, v in query.items())
        sep = "&" if "?" in path else "?"
        url = path.format(code=code) + (sep + q if q else "")
        twin = path.format(code=absent_area(code)) + (sep + q if q else "")
        return [Req("GET", url, absent_path=twin, keys=(code, absent_area(code)))]

    return build


def keyed(method, path, key, absent, body=None, destructive=False):
    def build(w: World, t: str) -> list[Req]:
        k = key(w, t)
        a = absent(k)
        b = body(w, t) if callable(body) else body
        return [
            Req(
                method,
                path.format(key=k),
                b,
                path.format(key=a),
                b,
                (str(k), str(a)),
                destructive,
            )
        ]

    return build


def unkeyed(method, path, body=None, destructive=False):
    return lambda w, t: [Req(method, path, body, destructive=destructive)]


def community_body(extra=None):
    def build(w, t):
        return {"community": TARGETS[t][:12], **(extra or {})}

    return build


def by_community(method, path, extra=None, query=False):
    def build(w: World, t: str) -> list[Req]:
        c = TARGETS[t][:12]
        a = absent_area(c)
        if query:
            url, twin = f"{path}?community={c}", f"{path}?community={a}"
            return [Req(method, url, None, twin, None, (c, a), area=c)]
        body = {"community": c, **(extra or {})}
        return [Req(method, path, body, path, {**body, "community": a}, (c, a), area=c)]

    return build


def job_of(w, t):
    """The caller's own job about the target's area, or (beyond their areas) an admin's."""
    return w.jobs.get((w.role, t)) or w.jobs[("admin", t)]


def house_code(w, t):
    return w.houses[t][0]


def person_id(w, t):
    return w.persons[t][0]


def tile_of(kind):
    def build(w, t):
        z, x, y = tile(cell_point(TARGETS[t], 1))
        return [Req("GET", f"/api/v1/tiles/{kind}/{z}/{x}/{y}.mvt")]

    return build


def locate(w, t):
    lon, lat = cell_point(TARGETS[t], 1)
    return [Req("GET", f"/api/v1/locate?lon={lon}&lat={lat}")]


def lookup(w, t):
    _, number, _ = w.persons[t]
    fresh = f.id_number(398)
    path = "/api/v1/persons/lookup"
    return [Req("POST", path, {"id_number": number}, path, {"id_number": fresh}, (number, fresh))]


def no_absent(k):
    return ABSENT_ID


def person_search(by_house: bool):
    """POST /persons/search naming the target's area (with its person's name), or its house
    (the occupants), and the same search naming an area or house that does not exist."""

    def build(w: World, t: str) -> list[Req]:
        path = "/api/v1/persons/search"
        if by_house:
            code = house_code(w, t)
            absent = code[:-4] + "9999"
            body, twin = {"house": code}, {"house": absent}
        else:
            code = area_of(t)
            absent = absent_area(code)
            name = w.persons[t][2]["name"]
            body, twin = {"area": code, "name": name}, {"area": absent, "name": name}
        return [Req("POST", path, body, path, twin, (code, absent))]

    return build


def issue_visit(w: World, t: str) -> list[Req]:
    """POST /visits for the target's house, and for a house code nobody has."""
    code = house_code(w, t)
    absent = code[:-4] + "9999"
    path = "/api/v1/visits"
    body, twin = (
        {"house_code": code, "reason": "矩阵核查"},
        {"house_code": absent, "reason": "矩阵核查"},
    )
    return [Req("POST", path, body, path, twin, (code, absent))]


def window_register(w: World, t: str) -> list[Req]:
    """A walk-in registered at the window into the target's house, and into a house nobody
    has (sent only where it must be refused: it writes)."""
    code = house_code(w, t)
    absent = code[:-4] + "9999"
    seq = 380 + list(TARGETS).index(t)
    path = "/api/v1/window/persons"
    body = {"person": f.person_data(seq, code), "capture_method": "typed"}
    twin = {"person": f.person_data(seq, absent), "capture_method": "typed"}
    return [Req("POST", path, body, path, twin, (code, absent), True)]


def release_reservation(w: World, t: str) -> list[Req]:
    """Give back the building number reserved in the target's community, and one of a
    community that does not exist."""
    c, n = TARGETS[t][:12], w.reserved[t]
    a = absent_area(c)
    path = "/api/v1/sync/building-numbers/{}/{}"
    return [Req("DELETE", path.format(c, n), None, path.format(a, n), None, (c, a), True, area=c)]


# Operations that carry no area or record: checked for leaks only, or not by this matrix.
UNSCOPED = {
    "POST /api/v1/auth/login": "before any token: no scope",
    "POST /api/v1/auth/refresh": "takes a refresh token, no area",
    "POST /api/v1/auth/logout": "ends the matrix's own session",
    "GET /healthz": "no data",
    "GET /api/v1/codes": "code tables: the same for every account",
    "GET /api/v1/codes/{table}": "a code table: the same for every account",
    "POST /api/v1/declarations": "public, no token: writes staging only, reads no record",
    "GET /api/v1/declarations/{reference}": "public: reference + last four, masked values only",
    "POST /api/v1/declarations/{reference}/withdraw": "public: reference + last four (status)",
    "GET /api/v1/declarations/places": "public: the district's street and community names",
    "GET /api/v1/declarations/places/{community}": "public: addresses of houses, never a person",
}
MATRIX = {
    "GET /api/v1/auth/me": unkeyed("GET", "/api/v1/auth/me"),
    "GET /api/v1/areas/{code}": area_get("/api/v1/areas/{code}"),
    "GET /api/v1/areas/{code}/children": area_get("/api/v1/areas/{code}/children"),
    "GET /api/v1/grids": area_get("/api/v1/grids?area={code}"),
    "GET /api/v1/grids/check": area_get("/api/v1/grids/check?area={code}"),
    "GET /api/v1/grids/{code}": lambda w, t: [
        Req(
            "GET",
            f"/api/v1/grids/{TARGETS[t]}",
            absent_path=f"/api/v1/grids/{absent_area(TARGETS[t])}",
            keys=(TARGETS[t], absent_area(TARGETS[t])),
        )
    ],
    "GET /api/v1/locate": locate,
    "GET /api/v1/tiles/grids/{z}/{x}/{y}.mvt": tile_of("grids"),
    "POST /api/v1/sync/upload": sync_requests,
    "GET /api/v1/sync/changes": unkeyed("GET", "/api/v1/sync/changes?limit=5000"),
    "GET /api/v1/sync/initial": unkeyed("GET", "/api/v1/sync/initial?limit=2000"),
    "GET /api/v1/sync/building-numbers": by_community(
        "GET", "/api/v1/sync/building-numbers", query=True
    ),
    "DELETE /api/v1/sync/building-numbers/{community}/{number}": release_reservation,
    "POST /api/v1/sync/building-numbers": by_community(
        "POST", "/api/v1/sync/building-numbers", {"device_id": "m-1", "count": 1}
    ),
    "GET /api/v1/conflicts": unkeyed("GET", "/api/v1/conflicts"),
    "POST /api/v1/conflicts/{conflict_id}/resolve": keyed(
        "POST",
        "/api/v1/conflicts/{key}/resolve",
        lambda w, t: w.conflicts[t],
        no_absent,
        {"choice": "ours"},
        destructive=True,
    ),
    "GET /api/v1/houses": area_get("/api/v1/houses?area={code}"),
    "GET /api/v1/houses/{code}": keyed(
        "GET", "/api/v1/houses/{key}", house_code, lambda k: k[:-4] + "9999"
    ),
    "GET /api/v1/tiles/houses/{z}/{x}/{y}.mvt": tile_of("houses"),
    "GET /api/v1/persons": area_get("/api/v1/persons?area={code}"),
    "GET /api/v1/persons/{person_id}": keyed("GET", "/api/v1/persons/{key}", person_id, no_absent),
    "POST /api/v1/persons/lookup": lookup,
    "POST /api/v1/persons/search": lambda w, t: (
        person_search(False)(w, t) + person_search(True)(w, t)
    ),
    "POST /api/v1/persons/{person_id}/reveal": keyed(
        "POST",
        "/api/v1/persons/{key}/reveal",
        person_id,
        no_absent,
        {"field": "id_number", "reason": "矩阵核查"},
    ),
    "GET /api/v1/stats/{code}": area_get("/api/v1/stats/{code}"),
    "GET /api/v1/stats/{code}/series": area_get(
        "/api/v1/stats/{code}/series?from=2026-01&to=2026-02"
    ),
    "GET /api/v1/stats/{code}/features": area_get("/api/v1/stats/{code}/features?by=grid"),
    "GET /api/v1/exports/stats/{code}": area_get("/api/v1/exports/stats/{code}?format=csv"),
    "GET /api/v1/exports/stats/{code}/series": area_get(
        "/api/v1/exports/stats/{code}/series?from=2026-01&to=2026-02"
    ),
    "GET /api/v1/exports/stats/{code}/features": area_get(
        "/api/v1/exports/stats/{code}/features?by=grid"
    ),
    "GET /api/v1/exports/jobs/{job_id}": keyed(
        "GET", "/api/v1/exports/jobs/{key}", job_of, no_absent
    ),
    "GET /api/v1/exports/jobs/{job_id}/file": keyed(
        "GET", "/api/v1/exports/jobs/{key}/file", job_of, no_absent
    ),
    "GET /api/v1/exports/houses": area_get("/api/v1/exports/houses?area={code}&format=csv"),
    "GET /api/v1/exports/persons": area_get("/api/v1/exports/persons?area={code}&format=csv"),
    "GET /api/v1/users": unkeyed("GET", "/api/v1/users"),
    "POST /api/v1/users": unkeyed(
        "POST",
        "/api/v1/users",
        {"username": "m_new", "password": "m-new-password-42", "role": "admin", "areas": []},
        destructive=True,
    ),
    "GET /api/v1/users/{user_id}": lambda w, t: [Req("GET", f"/api/v1/users/{w.users['admin']}")],
    "PATCH /api/v1/users/{user_id}": lambda w, t: [
        Req("PATCH", f"/api/v1/users/{w.users['admin']}", {"active": False}, destructive=True)
    ],
    "POST /api/v1/grids/proposals": by_community("POST", "/api/v1/grids/proposals", {"min": 1}),
    "GET /api/v1/grids/proposals": by_community("GET", "/api/v1/grids/proposals", query=True),
    "GET /api/v1/grids/proposals/{proposal_id}": keyed(
        "GET", "/api/v1/grids/proposals/{key}", lambda w, t: w.proposals[t], no_absent
    ),
    "POST /api/v1/grids/proposals/{proposal_id}/edits": keyed(
        "POST",
        "/api/v1/grids/proposals/{key}/edits",
        lambda w, t: w.proposals[t],
        no_absent,
        {"op": "merge", "cells": [1, 2]},
        destructive=True,
    ),
    "POST /api/v1/grids/proposals/{proposal_id}/approve": keyed(
        "POST",
        "/api/v1/grids/proposals/{key}/approve",
        lambda w, t: w.proposals[t],
        no_absent,
        {},
        destructive=True,
    ),
    "GET /api/v1/grids/crosswalk": by_community("GET", "/api/v1/grids/crosswalk", query=True),
    "GET /api/v1/persons/transfers": lambda w, t: [
        Req("GET", "/api/v1/persons/transfers", echoes_masked=True)
    ],
    "POST /api/v1/persons/transfers/{transfer_id}/decide": keyed(
        "POST",
        "/api/v1/persons/transfers/{key}/decide",
        lambda w, t: w.transfers[t],
        no_absent,
        {"decision": "refuse", "reason": "矩阵核查"},
        destructive=True,
    ),
    "GET /api/v1/visits": area_get("/api/v1/visits?area={code}"),
    "POST /api/v1/visits": issue_visit,
    "GET /api/v1/visits/{task_id}": keyed(
        "GET", "/api/v1/visits/{key}", lambda w, t: w.visits[t], no_absent
    ),
    "POST /api/v1/visits/{task_id}/withdraw": keyed(
        "POST",
        "/api/v1/visits/{key}/withdraw",
        lambda w, t: w.visits[t],
        no_absent,
        {"reason": "矩阵核查"},
        destructive=True,
    ),
    "POST /api/v1/window/persons": window_register,
    "PUT /api/v1/window/persons/{person_id}": keyed(
        "PUT",
        "/api/v1/window/persons/{key}",
        person_id,
        no_absent,
        {"person": {"occupation": "丁"}, "capture_method": "typed", "base_version": 2},
        destructive=True,
    ),
    "GET /api/v1/declarations": unkeyed("GET", "/api/v1/declarations"),
    "GET /api/v1/declarations/{decl_id}/review": keyed(
        "GET", "/api/v1/declarations/{key}/review", lambda w, t: w.declarations[t], no_absent
    ),
    "POST /api/v1/declarations/{decl_id}/decide": keyed(
        "POST",
        "/api/v1/declarations/{key}/decide",
        lambda w, t: w.declarations[t],
        no_absent,
        {"decision": "reject", "reason": "矩阵核查"},
        destructive=True,
    ),
    "POST /api/v1/declarations/decide": lambda w, t: [
        Req(
            "POST",
            "/api/v1/declarations/decide",
            {"ids": [w.declarations[t]], "decision": "approve"},
            destructive=True,
        )
    ],
    "GET /api/v1/declarations/rules": unkeyed("GET", "/api/v1/declarations/rules"),
    "PUT /api/v1/declarations/rules": unkeyed(
        "PUT", "/api/v1/declarations/rules", {"rules": [], "sample_rate": 0}, destructive=True
    ),
    "GET /api/v1/buildings": area_get("/api/v1/buildings?area={code}"),
    "GET /api/v1/buildings/{code}": keyed(
        "GET",
        "/api/v1/buildings/{key}",
        lambda w, t: house_code(w, t)[:17],
        lambda k: k[:-5] + "99999",
    ),
    "GET /api/v1/houses/{code}/occupants": keyed(
        "GET", "/api/v1/houses/{key}/occupants", house_code, lambda k: k[:-4] + "9999"
    ),
}


def operations(app) -> set[str]:
    with app.app_context():
        paths = api.spec.to_dict()["paths"]
    verbs = ("get", "post", "put", "patch", "delete")
    return {f"{m.upper()} {p}" for p, ops in paths.items() for m in ops if m in verbs}


def test_every_operation_of_the_api_document_is_in_the_matrix(app):
    missing = operations(app) - set(MATRIX) - set(UNSCOPED)
    assert missing == set(), f"add these operations to the authorization matrix: {missing}"
    assert set(MATRIX) - operations(app) == set()


def send(client, headers, method, path, body):
    response = client.open(path, method=method, json=body, headers=headers)
    return response.status_code, response.get_data()


def normalised(status: int, data: bytes, keys: tuple[str, str]) -> tuple:
    """What a refusal says, with the key it was about blanked out (and upload ids dropped)."""
    text = data.decode("utf-8", "replace")
    for key in keys:
        if key:
            text = re.sub(rf"(?<![0-9]){re.escape(key)}(?![0-9])", "<KEY>", text)
    try:
        body = json.loads(text)
    except ValueError:
        return status, text
    if isinstance(body, dict) and "results" in body:
        # A transfer request's key is the request's own number, new for each.
        body = [
            {
                k: v
                for k, v in r.items()
                if k != "uuid" and (k, r["outcome"]) != ("key", "transfer_requested")
            }
            for r in body["results"]
        ]
    return status, body


def applied(status: int, data: bytes) -> bool:
    """Whether a request went through: a 2xx, and for an upload a record that was not refused."""
    if not 200 <= status < 300:
        return False
    if data.startswith(b'{"results"') or b'"results"' in data[:20]:
        outcomes = [r["outcome"] for r in json.loads(data)["results"]]
        return any(o not in ("rejected", "transfer_requested") for o in outcomes)
    return True


@pytest.mark.parametrize("role", list(ROLES))
def test_no_role_reaches_beyond_its_areas_and_refusals_tell_nothing(client, role):
    world, tokens = build_world(client)
    world.role = role
    headers = tokens[role]
    failures, combinations = [], 0
    beside = [t for t, cell in TARGETS.items() if not in_scope(role, cell)]
    secrets = {s: t for t in beside for s in world.secrets(t)}
    for operation, build in MATRIX.items():
        for target, cell in TARGETS.items():
            for req in build(world, target):
                mine = in_scope(role, req.area or cell)
                if req.destructive and mine:
                    continue
                combinations += 1
                status, data = send(client, headers, req.method, req.path, req.body)
                where = f"{role} {operation} [{target}] {req.path}"
                if 200 <= status < 300:
                    text = data.decode("utf-8", "replace")
                    sent = req.path + json.dumps(req.body, ensure_ascii=False)
                    leaked = [
                        s
                        for s in secrets
                        if s in text and s not in sent and not (req.echoes_masked and "*" in s)
                    ]
                    if leaked:
                        failures.append(f"{where}: shows {leaked}")
                if not mine and req.absent_path is not None and applied(status, data):
                    failures.append(f"{where}: went through ({status}) {data[:200]!r}")
                if mine and status == 404 and req.absent_path is not None:
                    failures.append(f"{where}: own record not found {data[:200]!r}")
                if not mine and req.absent_path is not None:
                    twin = send(client, headers, req.method, req.absent_path, req.absent_body)
                    theirs = normalised(status, data, req.keys)
                    absent = normalised(*twin, req.keys)
                    if theirs != absent:
                        failures.append(f"{where}: 'not yours' {theirs} != 'absent' {absent}")
    assert combinations > 100
    assert failures == [], "\n".join(failures)


def test_the_matrix_would_see_a_neighbours_house_served(client):
    """The leak check itself: a district account's answer does hold a street's house code."""
    world, tokens = build_world(client)
    code, _ = world.houses["street"]
    status, data = send(client, tokens["district_staff"], "GET", f"/api/v1/houses/{code}", None)
    assert status == 200 and code in data.decode()
    assert re.search(r"\d{6}\*{8}\d{3}[\dX]", json.dumps(world.secrets("street")))
    assert uuid.UUID(record("house", "delete", {"code": code}, (114.03, 22.51))["uuid"])
