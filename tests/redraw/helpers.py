"""Synthetic communities with known answers: community 440303001001 of the test district (a
0.01° x 0.02° box, north and south cells) cut by a regular lattice of roads into blocks, and
houses put into blocks straight in SQL (uploading thousands through the sync API is too slow)."""

import itertools

from sqlalchemy import text

from gridgov.extensions import db
from tests import factories as f

COMMUNITY = "440303001001"
NORTH, SOUTH = COMMUNITY + "001", COMMUNITY + "002"
WEST, EAST = f.COMMUNITIES[COMMUNITY]
STREET_STAFF, DISTRICT_STAFF = "street_staff", "district_staff"
_serial = itertools.count(1)

_HOUSES = text(
    """
    INSERT INTO houses (code, community_code, grid_code, compound, building, unit, floor, room,
                        use, geom)
    SELECT :community || lpad((:base + g)::text, 13, '0'), :community,
           CASE WHEN :lat >= :mid THEN :north ELSE :south END,
           :compound, (1 + (g - 1) / 50)::text, '1', 1 + (g - 1) % 50, g::text, '01',
           ST_SetSRID(ST_MakePoint(:lon + ((g - 1) % 7) * 0.00002, :lat), 4326)
    FROM generate_series(1, :n) g
    """
)


# One resident per house, in SQL as well: with a person living there a house is a household
# (statistics and the redraw count occupied houses). The triggers keep occupants and the counts.
_PEOPLE = text(
    """
    WITH made AS (
      INSERT INTO persons (id_index, id_sealed, id_masked, id_kind, capture_method, name, sex,
                           birth_date, kind, house_id, grid_code)
      SELECT sha256(h.code::bytea || n::text::bytea), sha256(h.code::bytea), '110105********002X',
             'resident_id', 'typed', '住户', '1', DATE '1980-01-01', 'resident', h.id, h.grid_code
      FROM houses h, generate_series(1, :occupants) n
      WHERE h.code LIKE :community || lpad(CAST(:serial AS text), 8, '0') || '%'
      RETURNING id, house_id)
    INSERT INTO residences (person_id, house_id, moved_in) SELECT id, house_id, DATE '2024-01-01'
    FROM made
    """
)


def block_centre(nx: int, ny: int, i: int, j: int) -> tuple[float, float]:
    """The centre of block (i, j) of an nx x ny lattice; i counts west to east, j north to
    south."""
    width, height = (EAST - WEST) / nx, (f.NORTH - f.SOUTH) / ny
    return WEST + (i + 0.5) * width, f.NORTH - (j + 0.5) * height


def add_houses(
    n: int, lon: float, lat: float, compound: str | None = None, occupants: int = 1
) -> None:
    """n houses of one compound around a point (the cell they lie in today by latitude), each
    a household of `occupants` people unless that is 0 (vacant houses are no households)."""
    serial = next(_serial)
    db.session.execute(
        _HOUSES,
        {
            "community": COMMUNITY,
            "base": serial * 100_000,
            "n": n,
            "lon": lon,
            "lat": lat,
            "mid": f.MID,
            "north": NORTH,
            "south": SOUTH,
            "compound": compound or f"小区{serial}",
        },
    )
    if occupants:
        db.session.execute(
            _PEOPLE, {"community": COMMUNITY, "serial": serial, "occupants": occupants}
        )
    db.session.commit()


def fill_lattice(nx: int, ny: int, households) -> None:
    """Houses in every block of a lattice: households(i, j) of them, one compound per block."""
    for i in range(nx):
        for j in range(ny):
            n = households(i, j)
            if n:
                add_houses(n, *block_centre(nx, ny, i, j), compound=f"苑{i}-{j}")


def lattice_roads(nx: int, ny: int, crs: str = "wgs84") -> dict:
    """Roads between the blocks of an nx x ny lattice, each running a little past the edge."""
    over = 0.0005
    lines = []
    for i in range(1, nx):
        x = WEST + i * (EAST - WEST) / nx
        lines.append([[x, f.SOUTH - over], [x, f.NORTH + over]])
    for j in range(1, ny):
        y = f.SOUTH + j * (f.NORTH - f.SOUTH) / ny
        lines.append([[WEST - over, y], [EAST + over, y]])
    features = [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": c}}
        for c in lines
    ]
    return {"type": "FeatureCollection", "crs": crs, "features": features}


def propose(client, headers, **body) -> dict:
    response = client.post(
        "/api/v1/grids/proposals", json={"community": COMMUNITY, **body}, headers=headers
    )
    assert response.status_code == 201, response.json
    return response.json


def edit(client, headers, proposal_id: int, **body):
    return client.post(f"/api/v1/grids/proposals/{proposal_id}/edits", json=body, headers=headers)


def approve(client, headers, proposal_id: int, **body):
    return client.post(f"/api/v1/grids/proposals/{proposal_id}/approve", json=body, headers=headers)


def households_by_cell(preview: dict) -> dict[int, int]:
    return {c["id"]: c["properties"]["households"] for c in preview["cells"]["features"]}


def scalar(sql: str, **params):
    return db.session.execute(text(sql), params).scalar()
