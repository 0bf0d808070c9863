"""Geometry in one place: the stored SRID, coordinate-system conversion and GeoJSON parsing.

Everything is stored in WGS84 (EPSG:4326). Chinese web maps publish GCJ-02 (AMap, Tencent) and
BD-09 (Baidu); the conversions below follow the published GCJ-02 offset formula. There is no
EPSG code for either, so PROJ cannot do it; the few maintained Python packages that do are scalar
and unmaintained, so we keep a vectorised version here. GCJ-02 -> WGS84 has no closed form and is
inverted by fixed-point iteration to well under a millimetre.
"""

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

SRID = 4326
CRS_NAMES = ("wgs84", "gcj02", "bd09")

_A = 6378245.0
_EE = 0.00669342162296594323
_BD_PI = math.pi * 3000.0 / 180.0


class GeometryError(ValueError):
    """Bad geometry input; the message says what is wrong and where."""


def _outside_china(lon, lat):
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_offset(lon, lat):
    x, y = lon - 105.0, lat - 35.0
    waves = (20 * np.sin(6 * x * np.pi) + 20 * np.sin(2 * x * np.pi)) * 2 / 3
    dlat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + waves
    dlat += (20 * np.sin(y * np.pi) + 40 * np.sin(y / 3 * np.pi)) * 2 / 3
    dlat += (160 * np.sin(y / 12 * np.pi) + 320 * np.sin(y * np.pi / 30)) * 2 / 3
    dlon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + waves
    dlon += (20 * np.sin(x * np.pi) + 40 * np.sin(x / 3 * np.pi)) * 2 / 3
    dlon += (150 * np.sin(x / 12 * np.pi) + 300 * np.sin(x / 30 * np.pi)) * 2 / 3
    rad = lat / 180 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    dlat = dlat * 180 / ((_A * (1 - _EE)) / (magic * np.sqrt(magic)) * np.pi)
    dlon = dlon * 180 / (_A / np.sqrt(magic) * np.cos(rad) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon, lat):
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat):
    glon, glat = np.asarray(lon, float), np.asarray(lat, float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = glon - tlon, glat - tlat
        wlon, wlat = wlon + elon, wlat + elat
        if np.max(np.abs(elon), initial=0) < 1e-10 and np.max(np.abs(elat), initial=0) < 1e-10:
            break
    return wlon, wlat


def bd09_to_gcj02(lon, lat):
    x, y = np.asarray(lon, float) - 0.0065, np.asarray(lat, float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon, lat):
    x, y = np.asarray(lon, float), np.asarray(lat, float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def to_wgs84(lon, lat, crs: str):
    """Convert coordinates (scalars or arrays) from crs to WGS84."""
    if crs == "wgs84":
        return np.asarray(lon, float), np.asarray(lat, float)
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise GeometryError(f"unknown coordinate system {crs!r}; use one of {', '.join(CRS_NAMES)}")


def point_to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    x, y = to_wgs84(lon, lat, crs)
    return float(x), float(y)


def geometry_to_wgs84(geom: BaseGeometry, crs: str) -> BaseGeometry:
    if crs == "wgs84":
        return geom
    return shapely.transform(geom, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs)))


def parse_area_geometry(data, crs: str, where: str) -> MultiPolygon:
    """A GeoJSON (Multi)Polygon as a valid WGS84 MultiPolygon, or GeometryError naming `where`."""
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise GeometryError(f"{where}: geometry must be a Polygon or MultiPolygon, not {kind}")
    try:
        geom = shape(data)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as e:
        raise GeometryError(f"{where}: malformed coordinates ({e})") from None
    if geom.is_empty:
        raise GeometryError(f"{where}: geometry is empty")
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise GeometryError(f"{where}: coordinates must be finite numbers")
    if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        raise GeometryError(f"{where}: coordinates are not longitude/latitude degrees")
    reason = shapely.is_valid_reason(geom)
    if reason != "Valid Geometry":
        raise GeometryError(f"{where}: invalid geometry: {reason}")
    geom = geometry_to_wgs84(geom, crs)
    return MultiPolygon([geom]) if isinstance(geom, Polygon) else geom


def check_lon_lat(lon: float, lat: float) -> list[tuple[str, str]]:
    """Field problems with a longitude/latitude pair, as (field, rule) tuples."""
    problems = []
    if not -180 <= lon <= 180:
        problems.append(("lon", "must be between -180 and 180"))
    if not -90 <= lat <= 90:
        problems.append(("lat", "must be between -90 and 90"))
    return problems


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The Web Mercator XYZ tile (x, y) holding a WGS84 point at zoom z."""
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)
