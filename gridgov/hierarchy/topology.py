"""Topology checks for grid cells (无缝衔接): valid geometry, each cell inside exactly one
community, no overlaps, no gaps. Every fault names the cells, its size in m² and a point in it.

The checks are plain PostGIS queries over the cells in force today or later below an area's code
prefix; two cells are compared only over the days both are in force. Outlines are checked to
nest: a cell in its community, a community in its street, a street in its district.
Areas are in m² (area_m2(), a SQL function from the first migration); so are tolerances.
"""

from sqlalchemy import select, text

from gridgov.errors import NotFound
from gridgov.extensions import db
from gridgov.hierarchy.models import Area, prefix_of
from gridgov.scope import Principal, inside

# Cells still to be checked: in force today or later. A cell closed before today is history; it
# was checked while it was in force, and its community's outline may have moved on since.
_LIVE = "({t}.valid_to IS NULL OR {t}.valid_to > CURRENT_DATE)"
# Two cells meet in time when their validity periods share a day ([valid_from, valid_to)).
_MEET = (
    "a.valid_from < COALESCE(b.valid_to, 'infinity'::date)"
    " AND b.valid_from < COALESCE(a.valid_to, 'infinity'::date)"
)

_INVALID = text(
    f"""
    SELECT a.code, a.level, ST_IsValidReason(a.geom) AS reason,
           ST_X(d.location) AS lon, ST_Y(d.location) AS lat
    FROM areas a, LATERAL ST_IsValidDetail(a.geom) d
    WHERE a.code LIKE :prefix || '%' AND a.geom IS NOT NULL AND NOT ST_IsValid(a.geom)
      AND {_LIVE.format(t="a")}
    ORDER BY a.code
    """
)

# Cells whose community has no (valid) outline: nothing can say whether they lie inside it.
_UNCHECKED = text(
    f"""
    SELECT g.code, g.parent_code AS community,
           ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
    FROM areas g JOIN areas c ON c.code = g.parent_code
    WHERE g.level = 'grid' AND {_LIVE.format(t="g")} AND g.code LIKE :prefix || '%'
      AND ST_IsValid(g.geom) AND (c.geom IS NULL OR NOT ST_IsValid(c.geom))
    ORDER BY g.code
    """
)

# Areas sticking out of their parent: cells out of their community (and the other communities
# they reach into), communities out of their street, streets out of their district.
_OUTSIDE = text(
    f"""
    WITH children AS (
      SELECT g.code, g.level, g.geom, p.code AS parent, p.level AS parent_level, p.geom AS pgeom
      FROM areas g JOIN areas p ON p.code = g.parent_code
      WHERE {_LIVE.format(t="g")} AND g.geom IS NOT NULL AND p.geom IS NOT NULL
        AND ST_IsValid(g.geom) AND ST_IsValid(p.geom)
        AND (g.code LIKE :prefix || '%' OR g.code = ANY(:codes) OR p.code = ANY(:codes))
        AND (:with_cells OR g.level <> 'grid')
    ), outside AS (
      SELECT code, level, parent, parent_level, ST_Difference(geom, pgeom) AS part FROM children
    )
    SELECT o.code, o.level, o.parent, o.parent_level, area_m2(o.part) AS area_m2,
           ST_X(ST_PointOnSurface(o.part)) AS lon, ST_Y(ST_PointOnSurface(o.part)) AS lat,
           ARRAY(SELECT n.code FROM areas n
                 WHERE n.level = o.parent_level AND {_LIVE.format(t="n")} AND n.code <> o.parent
                   AND ST_Intersects(n.geom, o.part)
                   AND area_m2(ST_Intersection(n.geom, o.part)) > :tol
                 ORDER BY n.code) AS reaches_into
    FROM outside o
    WHERE NOT ST_IsEmpty(o.part) AND area_m2(o.part) > :tol
    ORDER BY o.code
    """
)

_OVERLAPS = text(
    f"""
    WITH cells AS (
      SELECT code, geom, valid_from, valid_to FROM areas g
      WHERE level = 'grid' AND {_LIVE.format(t="g")} AND code LIKE :prefix || '%'
        AND ST_IsValid(geom)
    ), pairs AS (
      SELECT a.code AS a, b.code AS b, ST_Intersection(a.geom, b.geom) AS part,
             GREATEST(a.valid_from, b.valid_from) AS day_from,
             LEAST(a.valid_to, b.valid_to) AS day_to
      FROM cells a JOIN cells b ON a.code < b.code AND ST_Intersects(a.geom, b.geom)
        AND NOT ST_Touches(a.geom, b.geom) AND {_MEET}
    )
    SELECT a, b, area_m2(part) AS area_m2, day_from, day_to,
           ST_X(ST_PointOnSurface(part)) AS lon, ST_Y(ST_PointOnSurface(part)) AS lat
    FROM pairs WHERE area_m2(part) > :tol
    ORDER BY a, b
    """
)

# Parts of a community that none of its cells cover (the whole community when it has none), on
# today and on every later day on which one of its cells begins or ends.
_GAPS = text(
    f"""
    WITH communities AS (
      SELECT c.code, c.geom FROM areas c
      WHERE c.level = 'community' AND c.valid_to IS NULL AND c.geom IS NOT NULL
        AND ST_IsValid(c.geom) AND (c.code LIKE :prefix || '%' OR :prefix LIKE c.code || '%')
        AND (NOT :skip_ungridded OR EXISTS (
          SELECT 1 FROM areas g WHERE g.parent_code = c.code AND g.level = 'grid'
            AND {_LIVE.format(t="g")}))
    ), days AS (
      SELECT c.code, c.geom, d.day FROM communities c, LATERAL (
        SELECT CURRENT_DATE AS day
        UNION SELECT g.valid_from FROM areas g
          WHERE g.parent_code = c.code AND g.level = 'grid' AND g.valid_from > CURRENT_DATE
        UNION SELECT g.valid_to FROM areas g
          WHERE g.parent_code = c.code AND g.level = 'grid' AND g.valid_to > CURRENT_DATE
      ) d
    ), covered AS (
      SELECT d.code, d.geom, d.day,
             (SELECT ST_Union(g.geom) FROM areas g
              WHERE g.parent_code = d.code AND g.level = 'grid' AND ST_IsValid(g.geom)
                AND g.valid_from <= d.day AND (g.valid_to IS NULL OR g.valid_to > d.day)) AS cover
      FROM days d
    ), holes AS (
      SELECT code, day, (ST_Dump(ST_CollectionExtract(
               CASE WHEN cover IS NULL THEN geom ELSE ST_Difference(geom, cover) END, 3))).geom
             AS part
      FROM covered
    )
    SELECT code, day, day = CURRENT_DATE AS today, area_m2(part) AS area_m2,
           ST_X(ST_PointOnSurface(part)) AS lon, ST_Y(ST_PointOnSurface(part)) AS lat
    FROM holes WHERE area_m2(part) > :tol
    ORDER BY code, day, area_m2 DESC
    """
)

# A prefix no code has: check(NO_PREFIX, codes=[...]) checks only the nesting of those areas.
NO_PREFIX = "-"
# Positions in faults are WGS84 longitude/latitude, and say so.
POINT_CRS = "EPSG:4326"


def _point(row) -> list[float]:
    return [round(row.lon, 7), round(row.lat, 7)]


def _m2(value: float) -> float:
    """Enough digits to tell 1.02 m² from a 1 m² tolerance."""
    return round(value, 3)


def check(
    prefix: str,
    tolerance_m2: float,
    *,
    include_gaps: bool = True,
    skip_ungridded: bool = False,
    codes: list[str] | None = None,
    with_cells: bool = True,
) -> list[dict]:
    """All topology faults below a code prefix among the cells in force today or later (each
    pair of cells compared over the days they share), and the areas that stick out of their
    parents. codes adds areas elsewhere whose nesting (above and below) is checked too."""
    args = {
        "prefix": prefix,
        "tol": tolerance_m2,
        "codes": list(codes or []),
        "with_cells": with_cells,
        "skip_ungridded": skip_ungridded,
    }
    faults = [
        {
            "kind": "invalid_geometry",
            "code": r.code,
            "level": r.level,
            "reason": r.reason,
            "point": _point(r),
            "point_crs": POINT_CRS,
        }
        for r in db.session.execute(_INVALID, args)
    ]
    if with_cells:
        for r in db.session.execute(_UNCHECKED, args):
            faults.append(
                {
                    "kind": "unchecked",
                    "code": r.code,
                    "community": r.community,
                    "reason": f"community {r.community} has no outline to check it against",
                    "point": _point(r),
                    "point_crs": POINT_CRS,
                }
            )
    for r in db.session.execute(_OUTSIDE, args):
        fault = {"kind": "outside_community" if r.level == "grid" else "outside_parent"}
        fault["code"] = r.code
        if r.level == "grid":
            fault["community"] = r.parent
        else:
            fault.update(level=r.level, parent=r.parent)
        fault.update(
            reaches_into=list(r.reaches_into),
            area_m2=_m2(r.area_m2),
            point=_point(r),
            point_crs=POINT_CRS,
        )
        faults.append(fault)
    if with_cells:
        for r in db.session.execute(_OVERLAPS, args):
            faults.append(
                {
                    "kind": "overlap",
                    "codes": [r.a, r.b],
                    "area_m2": _m2(r.area_m2),
                    "from": r.day_from.isoformat(),
                    "to": r.day_to.isoformat() if r.day_to else None,
                    "point": _point(r),
                    "point_crs": POINT_CRS,
                }
            )
    if include_gaps:
        for r in db.session.execute(_GAPS, args):
            gap = {"kind": "gap", "community": r.code, "area_m2": _m2(r.area_m2)}
            if not r.today:
                gap["on"] = r.day.isoformat()
            gap.update(point=_point(r), point_crs=POINT_CRS)
            faults.append(gap)
    return faults


def check_area(
    principal: Principal, code: str, tolerance_m2: float, *, skip_ungridded: bool = False
) -> dict:
    """The topology report for an area inside the caller's own areas."""
    area = db.session.execute(
        select(Area.code, Area.level).where(Area.code == code, inside(principal, Area.code))
    ).one_or_none()
    if area is None:
        raise NotFound(f"No area with code {code} in your scope.", code="unknown_area")
    faults = check(prefix_of(area.code, area.level), tolerance_m2, skip_ungridded=skip_ungridded)
    return {"area": code, "tolerance_m2": tolerance_m2, "ok": not faults, "faults": faults}
