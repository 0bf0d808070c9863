"""Which grid cell holds a point on a day: the one owner of that rule for every writer (an
upload's houses, a desk edit, a batch of hundreds at once)."""

from datetime import date

from sqlalchemy import text

from gridgov.clock import district_today
from gridgov.extensions import db

# A point on a shared edge lies in both cells: the lower code holds it. The validity test is
# valid_on()'s (hierarchy.service), written out for the set-based form.
_CELLS = text(
    """
    SELECT p.i, a.code, a.parent_code
    FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) WITH ORDINALITY AS p (lon, lat, i)
    LEFT JOIN LATERAL (
      SELECT code, parent_code FROM areas
      WHERE level = 'grid' AND valid_from <= :day AND (valid_to IS NULL OR valid_to > :day)
        AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
      ORDER BY code LIMIT 1) a ON true
    ORDER BY p.i
    """
)


def cells_at(points: list[tuple[float, float]], on: date | None = None) -> list:
    """(grid code, community code) of the cell in force on `on` (the district's today by
    default) holding each WGS84 (lon, lat) point, or None outside every cell; in order, one
    query for all of them."""
    if not points:
        return []
    found = db.session.execute(
        _CELLS,
        {
            "lon": [p[0] for p in points],
            "lat": [p[1] for p in points],
            "day": on or district_today(),
        },
    )
    return [(code, community) if code else None for _, code, community in found]
