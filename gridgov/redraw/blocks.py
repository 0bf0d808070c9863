"""The blocks a community is divided into, in PostGIS.

With roads, a block is a face of the community's outline noded with the roads (街巷定界: every
cell edge then runs on a road or the community's edge). Without roads, a block is the land nearer
to one compound's houses than to any other's (Voronoi cells of the house points, joined per
compound). Either way, faces that hold houses of one compound are joined, so no house is cut from
its compound. 专属 (dedicated) cells are cut out first and kept as they are.
"""

from sqlalchemy import text

from gridgov.extensions import db

# The cells in force that a redraw replaces: those named (:cells), else every general cell.
REDRAWN = """
  SELECT code FROM areas WHERE parent_code = :community AND level = 'grid' AND valid_to IS NULL
    AND CASE WHEN CAST(:cells AS text[]) IS NULL THEN grid_type = 'general'
             ELSE code = ANY(CAST(:cells AS text[])) END
"""

# A household is an occupied house: the one definition, which statistics count too
# (stats.measures: households = houses less the vacant ones). Vacant houses still move with
# their block; they only do not count towards a cell's 300-500 households.
HOUSEHOLD = "h.occupants > 0"

# The houses a redraw divides: standing, in the community and in a replaced cell.
DIVIDED = f"""
  h.community_code = :community AND h.deleted_at IS NULL AND h.grid_code IN ({REDRAWN})
"""

# The land to divide: the community minus the cells kept as they are.
_REGION = text(
    """
    CREATE TEMP TABLE redraw_region ON COMMIT DROP AS
    SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(
             CASE WHEN k.geom IS NULL THEN c.geom ELSE ST_Difference(c.geom, k.geom) END), 3))
           AS geom
    FROM areas c LEFT JOIN LATERAL (
      SELECT ST_Union(g.geom) AS geom FROM areas g
      WHERE g.parent_code = c.code AND g.level = 'grid' AND g.valid_to IS NULL
        AND CASE WHEN CAST(:cells AS text[]) IS NULL THEN g.grid_type = 'dedicated'
                 ELSE NOT g.code = ANY(CAST(:cells AS text[])) END) k ON true
    WHERE c.code = :community
    """
)

_FACES_TABLE = "CREATE TEMP TABLE redraw_faces (face integer, geom geometry) ON COMMIT DROP"

_ROAD_FACES = text(
    """
    INSERT INTO redraw_faces (face, geom)
    WITH lines AS (
      SELECT ST_UnaryUnion(ST_Collect(ST_Boundary(r.geom), ST_Intersection(
               ST_GeomFromEWKT(:roads), ST_Expand(ST_Envelope(r.geom), 0.001)))) AS g
      FROM redraw_region r
    ), faces AS (
      SELECT (ST_Dump(ST_Polygonize(g))).geom AS geom FROM lines
    )
    SELECT row_number() OVER (ORDER BY ST_XMin(f.geom), ST_YMax(f.geom) DESC), f.geom
    FROM faces f, redraw_region r
    WHERE ST_Intersects(r.geom, ST_PointOnSurface(f.geom))
    """
)

_VORONOI_FACES = text(
    f"""
    INSERT INTO redraw_faces (face, geom)
    WITH sites AS (
      SELECT ST_Collect(DISTINCT h.geom) AS g FROM houses h WHERE {DIVIDED}
    ), cells AS (
      SELECT (ST_Dump(ST_VoronoiPolygons(s.g, 0, ST_Expand(ST_Envelope(r.geom), 0.01)))).geom
             AS geom
      FROM sites s, redraw_region r WHERE ST_NPoints(s.g) > 1
    ), clipped AS (
      SELECT ST_CollectionExtract(ST_Intersection(c.geom, r.geom), 3) AS geom
      FROM cells c, redraw_region r WHERE ST_Intersects(c.geom, r.geom)
    )
    SELECT row_number() OVER (ORDER BY ST_XMin(geom), ST_YMax(geom) DESC), geom
    FROM clipped WHERE NOT ST_IsEmpty(geom)
    """
)

_WHOLE_REGION = text("INSERT INTO redraw_faces (face, geom) SELECT 1, geom FROM redraw_region")

# Each house lies in one face: the lowest-numbered face holding it, or (drawn a little outside
# the community) the nearest one.
_HOUSE_FACES = text(
    f"""
    CREATE TEMP TABLE redraw_house_faces ON COMMIT DROP AS
    SELECT DISTINCT ON (h.id) h.id AS house_id, f.face, h.compound
    FROM houses h JOIN redraw_faces f ON ST_Intersects(f.geom, h.geom)
    WHERE {DIVIDED} ORDER BY h.id, f.face
    """
)

_STRAYS = text(
    f"""
    INSERT INTO redraw_house_faces (house_id, face, compound)
    SELECT h.id, (SELECT f.face FROM redraw_faces f ORDER BY f.geom <-> h.geom, f.face LIMIT 1),
           h.compound
    FROM houses h
    WHERE {DIVIDED} AND NOT EXISTS (SELECT 1 FROM redraw_house_faces x WHERE x.house_id = h.id)
    """
)

_FACE_COMPOUNDS = text(
    "SELECT DISTINCT face, compound FROM redraw_house_faces WHERE btrim(compound) <> ''"
)

_INSERT_BLOCKS = text(
    """
    INSERT INTO grid_proposal_blocks (proposal_id, block_no, cell, households, persons, geom)
    SELECT :proposal, m.block, 0, 0, 0,
           ST_Multi(ST_CollectionExtract(ST_UnaryUnion(ST_Collect(f.geom)), 3))
    FROM redraw_faces f JOIN unnest(CAST(:faces AS int[]), CAST(:blocks AS int[])) m (face, block)
      ON m.face = f.face
    GROUP BY m.block
    """
)

_INSERT_HOUSES = text(
    """
    INSERT INTO grid_proposal_houses (proposal_id, house_id, block_no)
    SELECT :proposal, x.house_id, m.block
    FROM redraw_house_faces x
    JOIN unnest(CAST(:faces AS int[]), CAST(:blocks AS int[])) m (face, block) ON m.face = x.face
    """
)

_BLOCK_COUNTS = text(
    f"""
    UPDATE grid_proposal_blocks b
    SET households = c.households, persons = c.persons, compounds = c.compounds
    FROM (
      SELECT ph.block_no, count(*) FILTER (WHERE {HOUSEHOLD}) AS households,
             coalesce(sum(h.occupants), 0) AS persons,
             coalesce(array_agg(DISTINCT h.compound ORDER BY h.compound)
                      FILTER (WHERE btrim(h.compound) <> ''), '{{}}') AS compounds
      FROM grid_proposal_houses ph JOIN houses h ON h.id = ph.house_id
      WHERE ph.proposal_id = :proposal GROUP BY 1
    ) c
    WHERE b.proposal_id = :proposal AND b.block_no = c.block_no
    """
)


def _join_compounds(faces: list[int], pairs) -> dict[int, int]:
    """Face -> block: faces holding houses of one compound share a block (union-find)."""
    parent = {face: face for face in faces}

    def root(face):
        while parent[face] != face:
            parent[face] = parent[parent[face]]
            face = parent[face]
        return face

    first_face: dict[str, int] = {}
    for face, compound in pairs:
        if compound in first_face:
            a, b = root(face), root(first_face[compound])
            parent[max(a, b)] = min(a, b)
        else:
            first_face[compound] = face
    roots = sorted({root(face) for face in faces})
    number = {r: i + 1 for i, r in enumerate(roots)}
    return {face: number[root(face)] for face in faces}


def build(proposal_id: int, community: str, cells: list[str] | None, roads_ewkt: str | None) -> int:
    """Fill a proposal's blocks and houses; returns the number of blocks."""
    args = {"community": community, "cells": cells}
    db.session.execute(_REGION, args)
    db.session.execute(text(_FACES_TABLE))
    if roads_ewkt is not None:
        db.session.execute(_ROAD_FACES, {"roads": roads_ewkt})
    else:
        db.session.execute(_VORONOI_FACES, args)
    if not db.session.execute(text("SELECT EXISTS (SELECT 1 FROM redraw_faces)")).scalar():
        db.session.execute(_WHOLE_REGION)
    db.session.execute(text("CREATE INDEX ON redraw_faces USING gist (geom)"))
    db.session.execute(text("ANALYZE redraw_faces"))
    db.session.execute(_HOUSE_FACES, args)
    db.session.execute(_STRAYS, args)
    faces = list(db.session.scalars(text("SELECT face FROM redraw_faces ORDER BY face")))
    block_of = _join_compounds(faces, db.session.execute(_FACE_COMPOUNDS).all())
    mapping = {
        "proposal": proposal_id,
        "faces": list(block_of),
        "blocks": list(block_of.values()),
    }
    db.session.execute(_INSERT_BLOCKS, mapping)
    db.session.execute(_INSERT_HOUSES, mapping)
    db.session.execute(_BLOCK_COUNTS, {"proposal": proposal_id})
    for table in ("redraw_house_faces", "redraw_faces", "redraw_region"):
        db.session.execute(text(f"DROP TABLE {table}"))
    return len(set(block_of.values()))
