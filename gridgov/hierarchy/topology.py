"""Topology checks for grid cells (无缝衔接): valid geometry, each cell inside exactly one
community, no overlaps, no gaps. Every fault names the cells, its size in m² and a point in it.

The checks are plain PostGIS queries over the cells in force today below an area's code prefix.
Areas are in m² (area_m2(), a SQL function from the first migration); so are tolerances.
"""

from sqlalchemy import select, text

from gridgov.errors import NotFound
from gridgov.extensions import db
from gridgov.hierarchy.models import Area, prefix_of
from gridgov.scope import Principal, inside

_INVALID = text(
    """
    SELECT a.code, a.level, ST_IsValidReason(a.geom) AS reason,
           ST_X(d.location) AS lon, ST_Y(d.location) AS lat
    FROM areas a, LATERAL ST_IsValidDetail(a.geom) d
    WHERE a.code LIKE :prefix || '%' AND a.geom IS NOT NULL AND NOT ST_IsValid(a.geom)
      AND a.valid_to IS NULL
    ORDER BY a.code
    """
)

# Cells sticking out of their own community, and the other communities they reach into.
_OUTSIDE = text(
    """
    WITH cells AS (
      SELECT g.code, g.geom, c.code AS community, c.geom AS cgeom
      FROM areas g JOIN areas c ON c.code = g.parent_code
      WHERE g.level = 'grid' AND g.valid_to IS NULL AND g.code LIKE :prefix || '%'
        AND ST_IsValid(g.geom) AND ST_IsValid(c.geom)
    ), outside AS (
      SELECT code, community, geom, ST_Difference(geom, cgeom) AS part FROM cells
    )
    SELECT o.code, o.community, area_m2(o.part) AS area_m2,
           ST_X(ST_PointOnSurface(o.part)) AS lon, ST_Y(ST_PointOnSurface(o.part)) AS lat,
           ARRAY(SELECT n.code FROM areas n
                 WHERE n.level = 'community' AND n.valid_to IS NULL AND n.code <> o.community
                   AND ST_Intersects(n.geom, o.part)
                   AND area_m2(ST_Intersection(n.geom, o.part)) > :tol
                 ORDER BY n.code) AS reaches_into
    FROM outside o
    WHERE NOT ST_IsEmpty(o.part) AND area_m2(o.part) > :tol
    ORDER BY o.code
    """
)

_OVERLAPS = text(
    """
    WITH cells AS (
      SELECT code, geom FROM areas
      WHERE level = 'grid' AND valid_to IS NULL AND code LIKE :prefix || '%' AND ST_IsValid(geom)
    ), pairs AS (
      SELECT a.code AS a, b.code AS b, ST_Intersection(a.geom, b.geom) AS part
      FROM cells a JOIN cells b ON a.code < b.code AND ST_Intersects(a.geom, b.geom)
        AND NOT ST_Touches(a.geom, b.geom)
    )
    SELECT a, b, area_m2(part) AS area_m2,
           ST_X(ST_PointOnSurface(part)) AS lon, ST_Y(ST_PointOnSurface(part)) AS lat
    FROM pairs WHERE area_m2(part) > :tol
    ORDER BY a, b
    """
)

# Parts of a community that none of its cells cover (the whole community when it has none).
_GAPS = text(
    """
    WITH communities AS (
      SELECT c.code, c.geom,
             (SELECT ST_Union(g.geom) FROM areas g
              WHERE g.parent_code = c.code AND g.level = 'grid' AND g.valid_to IS NULL
                AND ST_IsValid(g.geom)) AS covered
      FROM areas c
      WHERE c.level = 'community' AND c.valid_to IS NULL AND c.geom IS NOT NULL
        AND ST_IsValid(c.geom) AND (c.code LIKE :prefix || '%' OR :prefix LIKE c.code || '%')
    ), holes AS (
      SELECT code, (ST_Dump(ST_CollectionExtract(
               CASE WHEN covered IS NULL THEN geom ELSE ST_Difference(geom, covered) END, 3))).geom
             AS part
      FROM communities
    )
    SELECT code, area_m2(part) AS area_m2,
           ST_X(ST_PointOnSurface(part)) AS lon, ST_Y(ST_PointOnSurface(part)) AS lat
    FROM holes WHERE area_m2(part) > :tol
    ORDER BY code, area_m2 DESC
    """
)


def _point(row) -> list[float]:
    return [round(row.lon, 7), round(row.lat, 7)]


def check(prefix: str, tolerance_m2: float, *, include_gaps: bool = True) -> list[dict]:
    """All topology faults among the cells in force below a code prefix."""
    args = {"prefix": prefix, "tol": tolerance_m2}
    faults = [
        {
            "kind": "invalid_geometry",
            "code": r.code,
            "level": r.level,
            "reason": r.reason,
            "point": _point(r),
        }
        for r in db.session.execute(_INVALID, args)
    ]
    for r in db.session.execute(_OUTSIDE, args):
        faults.append(
            {
                "kind": "outside_community",
                "code": r.code,
                "community": r.community,
                "reaches_into": list(r.reaches_into),
                "area_m2": round(r.area_m2, 2),
                "point": _point(r),
            }
        )
    for r in db.session.execute(_OVERLAPS, args):
        faults.append(
            {
                "kind": "overlap",
                "codes": [r.a, r.b],
                "area_m2": round(r.area_m2, 2),
                "point": _point(r),
            }
        )
    if include_gaps:
        for r in db.session.execute(_GAPS, args):
            faults.append(
                {
                    "kind": "gap",
                    "community": r.code,
                    "area_m2": round(r.area_m2, 2),
                    "point": _point(r),
                }
            )
    return faults


def check_area(principal: Principal, code: str, tolerance_m2: float) -> dict:
    """The topology report for an area inside the caller's own areas."""
    area = db.session.execute(
        select(Area.code, Area.level).where(Area.code == code, inside(principal, Area.code))
    ).one_or_none()
    if area is None:
        raise NotFound(f"No area with code {code} in your scope.", code="unknown_area")
    faults = check(prefix_of(area.code, area.level), tolerance_m2)
    return {"area": code, "tolerance_m2": tolerance_m2, "ok": not faults, "faults": faults}
