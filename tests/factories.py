"""Small builders for test data: a synthetic district of squares, accounts, tokens."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gridgov.accounts import service as accounts
from gridgov.hierarchy import importer

PASSWORD = "correct-horse-42"
TOLERANCE = 1.0

# A 4 km x 2 km district of squares: two streets (west, east), two communities each, and two
# grid cells (north, south) in each community.
WEST, SOUTH, EAST, NORTH = 114.00, 22.50, 114.04, 22.52
DISTRICT = "440303000000"
STREETS = {"440303001000": (114.00, 114.02), "440303002000": (114.02, 114.04)}
COMMUNITIES = {
    "440303001001": (114.00, 114.01),
    "440303001002": (114.01, 114.02),
    "440303002001": (114.02, 114.03),
    "440303002002": (114.03, 114.04),
}
MID = 22.51
SINCE = "2024-01-01"


def box(west, south, east, north) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def codes_csv() -> str:
    lines = ["code,name,parent_code,level", f"{DISTRICT},测试区,440300000000,district"]
    lines += [f"{code},街道{code[6:9]},{DISTRICT},street" for code in STREETS]
    lines += [f"{code},社区{code[9:]},{code[:9]}000,community" for code in COMMUNITIES]
    return "\n".join(lines) + "\n"


def grid_features(community: str) -> list[dict]:
    west, east = COMMUNITIES[community]
    return [
        feature(
            box(west, MID, east, NORTH),
            code=community + "001",
            name="北网格",
            grid_type="综合",
            valid_from=SINCE,
        ),
        feature(
            box(west, SOUTH, east, MID),
            code=community + "002",
            name="南网格",
            grid_type="general",
            valid_from=SINCE,
        ),
    ]


def make_district(grids: bool = True) -> None:
    """Import the synthetic district through the same importers as the CLI."""
    importer.import_codes(codes_csv())
    outlines = [feature(box(WEST, SOUTH, EAST, NORTH), code=DISTRICT)]
    outlines += [feature(box(w, SOUTH, e, NORTH), code=c) for c, (w, e) in STREETS.items()]
    outlines += [feature(box(w, SOUTH, e, NORTH), code=c) for c, (w, e) in COMMUNITIES.items()]
    importer.import_boundaries(collection(*outlines), "wgs84")
    if grids:
        cells = [f for c in COMMUNITIES for f in grid_features(c)]
        importer.import_grids(collection(*cells), "wgs84", TOLERANCE)


def make_user(username: str, role: str, areas: list[str], password: str = PASSWORD) -> int:
    return accounts.create_user(None, username, password, role, areas).id


def login(client, username: str, password: str = PASSWORD) -> dict:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.json
    return response.json


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def auth_as(client, role: str, areas: list[str], username: str | None = None) -> dict:
    """Create an account and return the Authorization header of a fresh login."""
    username = username or f"{role}_{'_'.join(areas) or 'all'}"
    make_user(username, role, areas)
    return bearer(login(client, username)["access_token"])


# --- houses, people and sync envelopes -------------------------------------------------------

OWN_CELL = "440303001001001"  # the north cell of community 440303001001
OWN_POINT = (114.005, 22.515)
NEIGHBOUR_POINT = (114.005, 22.505)  # the south cell of the same community
OTHER_STREET_POINT = (114.035, 22.515)  # street 440303002000


def id_number(seq: int, birth: str = "19900101", region: str = "440303") -> str:
    """A synthetic ID number that is valid by the standard (never a real person's)."""
    from gridgov.idnumber import check_character

    first17 = f"{region}{birth}{seq:03d}"
    return first17 + check_character(first17)


# Devices upload what they captured lately (the server refuses captures older than the window
# it keeps outcomes for): two days ago, 10:00 district time.
CAPTURED_AT = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=2)).replace(
    hour=10, minute=0, second=0, microsecond=0
)


def envelope(type_: str, data: dict, op: str = "upsert", base_version=None, position=OWN_POINT):
    import uuid

    env = {
        "uuid": str(uuid.uuid4()),
        "type": type_,
        "op": op,
        "data": data,
        "captured_at": CAPTURED_AT.isoformat(),
    }
    if base_version is not None:
        env["base_version"] = base_version
    if position is not None:
        env["position"] = {"lon": position[0], "lat": position[1], "crs": "wgs84"}
    return env


def house_data(room: str = "101", point=OWN_POINT, **overrides) -> dict:
    data = {
        "compound": "翠竹苑",
        "building": "3栋",
        "unit": "1",
        "floor": 1,
        "room": room,
        "use": "01",
        "structure": "02",
        "floor_area": "72.50",
        "owner_name": "陈大文",
        "owner_id_number": id_number(900),
        "rented": False,
        "location": {"lon": point[0], "lat": point[1], "crs": "wgs84"},
    }
    return {**data, **overrides}


def rental_data(**overrides) -> dict:
    data = {
        "landlord_name": "陈大文",
        "landlord_id_number": id_number(900),
        "landlord_phone": "13812345678",
        "rental_use": "01",
        "rented_area": "60",
        "hazards": ["02", "04"],
        "registered_on": "2026-01-05",
    }
    return {**data, **overrides}


def person_data(seq: int, house_code: str, kind: str = "floating", **overrides) -> dict:
    data = {
        "id_number": id_number(seq),
        "capture_method": "card_reader",
        "name": f"测试{seq}",
        "sex": "1" if seq % 2 else "2",
        "ethnicity": "01",
        "phone": "13912345678",
        "kind": kind,
        "house_code": house_code,
    }
    if kind == "floating":
        data["floating"] = {
            "inflow_reason": "01",
            "arrival_date": "2026-03-01",
            "origin_code": "430302",
            "residence_type": "01",
        }
    return {**data, **overrides}


def upload(client, headers, *records, device="pda-1"):
    response = client.post(
        "/api/v1/sync/upload", json={"device_id": device, "records": list(records)}, headers=headers
    )
    assert response.status_code == 200, response.json
    return response.json["results"]
