"""A plausible, synthetic partition of a real district outline into streets, communities and
grid cells. No street or community outlines are public, so the demo district keeps the real codes
and names and draws compact Voronoi regions (seeds spread by Lloyd's k-means) for the rest.

Pure geometry: no database. Coordinates are WGS84 degrees; a local scale corrects longitude so
the regions come out compact on the ground.
"""

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

M_PER_DEG = 111_320.0


def _sample(region: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    west, south, east, north = region.bounds
    points = np.empty((0, 2))
    shapely.prepare(region)
    while len(points) < n:
        batch = rng.uniform((west, south), (east, north), size=(n * 2, 2))
        keep = shapely.contains_xy(region, batch[:, 0], batch[:, 1])
        points = np.vstack([points, batch[keep]])
    return points[:n]


def _kmeans(points: np.ndarray, k: int, scale: np.ndarray, rng, rounds: int = 30) -> np.ndarray:
    scaled = points * scale
    centres = scaled[rng.choice(len(scaled), k, replace=False)]
    for _ in range(rounds):
        nearest = np.argmin(((scaled[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        for i in range(k):
            members = scaled[nearest == i]
            if len(members):
                centres[i] = members.mean(axis=0)
    return centres / scale


def split(region: BaseGeometry, k: int, rng: np.random.Generator) -> list[MultiPolygon]:
    """k compact parts that cover region exactly, each a MultiPolygon."""
    if k == 1:
        return [_multi(region)]
    lat = (region.bounds[1] + region.bounds[3]) / 2
    scale = np.array([math.cos(math.radians(lat)), 1.0])
    seeds = _kmeans(_sample(region, max(400, 60 * k), rng), k, scale, rng)
    cells = shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=region.envelope.buffer(0.01)
    )
    parts = [_multi(shapely.intersection(cell, region)) for cell in shapely.get_parts(cells)]
    parts = [p for p in parts if not p.is_empty]
    return sorted(parts, key=reading_order(parts))


def _multi(geom: BaseGeometry) -> MultiPolygon:
    polys = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(polys)


def reading_order(parts: list[BaseGeometry]):
    """Sort key: north to south in bands of about one part's height, west to east inside a band
    (grid sequences run 'west to east, north to south')."""
    heights = [p.bounds[3] - p.bounds[1] for p in parts] or [1.0]
    band = float(np.median(heights)) or 1.0

    def key(part):
        c = part.representative_point() if part.centroid.is_empty else part.centroid
        return (-math.floor(c.y / band), c.x)

    return key


def area_km2(geom: BaseGeometry) -> float:
    lat = geom.centroid.y
    return geom.area * M_PER_DEG**2 * math.cos(math.radians(lat)) / 1e6
