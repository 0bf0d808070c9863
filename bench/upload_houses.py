"""Benchmark uploading new houses (the server finds each one's cell from its point, numbers its
building and codes it) against the raw database insert of the same rows.

Run after bench.upload on the same database (it seeds it and creates bench_writer). Batches of
500 new houses, ten buildings a batch at the points of different cells, one in five rented
with landlord details, through POST /api/v1/sync/upload with two clients against gunicorn (2
workers); the floor inserts the same houses and rentals with one statement a batch, finding the
cells with the same PostGIS test in SQL, with plain psycopg. Prints records/s, p50/p99 batch
latency and the ratio, and the replay rate.
"""

import os
import sys
import threading
import time
import uuid

import psycopg
from sqlalchemy import text

from bench.common import CAPTURED_AT, login, serve
from bench.upload import BATCH, CLIENTS, post, report, timed
from gridgov import create_app
from gridgov.extensions import db
from gridgov.houses.numbers import compose_code

PORT = 5095
BATCHES = int(os.environ.get("BENCH_HOUSE_BATCHES", 12))
PER_BUILDING = 50
RUN = str(int(time.time()))
LANDLORD = "11010519491231002X"


def batches(points: list[tuple[float, float]]) -> list[list[dict]]:
    out = []
    for b in range(BATCHES):
        records = []
        for k in range(BATCH):
            building = b * (BATCH // PER_BUILDING) + k // PER_BUILDING
            lon, lat = points[building % len(points)]
            data = {
                "compound": f"压测苑{RUN}",
                "building": f"{building}栋",
                "unit": "1",
                "floor": 1 + k % PER_BUILDING // 5,
                "room": str(101 + k % 5),
                "use": "01",
                "floor_area": "64.50",
                "rented": k % 5 == 0,
                "location": {"lon": lon, "lat": lat, "crs": "wgs84"},
            }
            if data["rented"]:
                data["rental"] = {
                    "landlord_name": "压测房东",
                    "landlord_id_number": LANDLORD,
                    "landlord_phone": "13800000000",
                    "rental_use": "01",
                    "hazards": ["02"],
                }
            records.append(
                {
                    "uuid": str(uuid.uuid4()),
                    "type": "house",
                    "op": "upsert",
                    "data": data,
                    "captured_at": CAPTURED_AT,
                }
            )
        out.append(records)
    return out


FLOOR = """
WITH h AS (
  INSERT INTO houses (code, community_code, grid_code, compound, building, unit, floor, room,
                      use, floor_area, rented, geom)
  SELECT a.parent_code || r.suffix, a.parent_code, a.code, r.compound, r.building, '1', r.floor,
         r.room, '01', 64.50, r.rented, ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326)
  FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[], %s::text[], %s::bool[],
              %s::float8[], %s::float8[])
       AS r (suffix, compound, building, floor, room, rented, lon, lat)
  JOIN LATERAL (
    SELECT code, parent_code FROM areas
    WHERE level = 'grid' AND valid_to IS NULL
      AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326))
    ORDER BY code LIMIT 1) a ON true
  RETURNING id, rented)
INSERT INTO rentals (house_id, landlord_name, landlord_id_sealed, landlord_id_index,
                     landlord_id_masked, landlord_phone_sealed, landlord_phone_masked, rental_use,
                     hazards)
SELECT id, '压测房东', %s, %s, '110105********002X', %s, '138****0000', '01', '{02}'
FROM h WHERE rented
"""


def floor(url: str, vault):
    """The same houses with one statement a batch; sealed values made beforehand."""
    sealed = (
        vault.seal(LANDLORD, "rental.landlord_id_number"),
        vault.index(LANDLORD, "id_number"),
        vault.seal("13800000000", "rental.landlord_phone"),
    )
    local = threading.local()

    def one(records):
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(url)
        houses = [r["data"] for r in records]
        # Building numbers far above any a community uses; the community comes from the cell.
        suffix = [
            compose_code("", 90000 + int(d["building"][:-1]) % 9000, "1", d["floor"], d["room"])
            for d in houses
        ]
        columns = [
            suffix,
            [d["compound"] + "底" for d in houses],
            [d["building"] for d in houses],
            [d["floor"] for d in houses],
            [d["room"] for d in houses],
            [d["rented"] for d in houses],
            [d["location"]["lon"] for d in houses],
            [d["location"]["lat"] for d in houses],
        ]
        with local.conn.transaction():
            local.conn.execute(FLOOR, [*columns, *sealed])

    return one


def clean(app) -> None:
    """Remove the houses (and their buildings, rentals and cell history) bench runs made."""
    with app.app_context():
        for sql in (
            "DELETE FROM rentals WHERE house_id IN (SELECT id FROM houses WHERE compound LIKE :p)",
            "DELETE FROM house_grids WHERE house_id IN "
            "(SELECT id FROM houses WHERE compound LIKE :p)",
            "DELETE FROM houses WHERE compound LIKE :p",
            "DELETE FROM buildings WHERE compound LIKE :p",
        ):
            db.session.execute(text(sql), {"p": "压测苑%"})
        db.session.commit()


def main() -> int:
    app = create_app()
    clean(app)
    with app.app_context():
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        points = db.session.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM areas "
                "WHERE level = 'grid' AND valid_to IS NULL ORDER BY code) s"
            )
        ).all()
        houses = db.session.execute(text("SELECT count(*) FROM houses")).scalar()
    work = batches(points)
    total = BATCH * BATCHES
    print(
        f"upload houses: {houses} houses in the database; {BATCHES} batches of {BATCH} new "
        f"houses in {BATCH // PER_BUILDING} new buildings each, {CLIENTS} clients"
    )
    seconds, lat = timed(work, floor(url, app.extensions["vault"]))
    raw = report("raw insert (floor)", seconds, lat, total)
    server = serve("wsgi:app", PORT)
    try:
        token = login(PORT, "bench_writer", "bench-pass-123")
        seconds, lat = timed(work, lambda b: post(token, b, PORT))
        api = report("API upload", seconds, lat, total)
        seconds, lat = timed(work, lambda b: post(token, b, PORT))
        report("API replay (same batches)", seconds, lat, total)
    finally:
        server.terminate()
        server.wait()
        clean(app)
    print(f"API / raw insert: {api / raw:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
