"""Geometry in one place: the stored SRID, coordinate-system conversion and GeoJSON parsing.

Everything is stored in WGS84 (EPSG:4326). Chinese web maps publish GCJ-02 (AMap, Tencent) and
BD-09 (Baidu); the conversions below follow the published GCJ-02 offset formula. There is no
EPSG code for either, so PROJ cannot do it; the few maintained Python packages that do are scalar
and unmaintained, so we keep a vectorised version here. GCJ-02 -> WGS84 has no closed form and is
inverted by fixed-point iteration to well under a millimetre.

Every other system goes through PROJ (pyproj): the national datum CGCS2000 (EPSG:4490) and its
Gauss-Krüger zones (EPSG:4491-4554), Beijing 1954 and Xi'an 1980 with theirs, or any EPSG code.
A coordinate system is named by a string: wgs84, gcj02, bd09, an alias below or "EPSG:n".

GCJ-02, BD-09 and map projections bend straight lines, so a shared edge converted vertex by
vertex drifts from a neighbour's vertex that lay on it (a T-junction): 11.5 cm over 1 km. Edges are
cut into pieces of at most DENSIFY_METRES before converting, which brings that under 0.1 mm.
"""

import math
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

SRID = 4326
CRS_NAMES = ("wgs84", "gcj02", "bd09")
# Names a district officer knows, for the systems their planning and land offices use.
CRS_ALIASES = {"cgcs2000": "EPSG:4490", "beijing1954": "EPSG:4214", "xian1980": "EPSG:4610"}
CRS_HELP = "wgs84, gcj02, bd09, cgcs2000, beijing1954, xian1980 or EPSG:n (e.g. EPSG:4526)"
DENSIFY_METRES = 20.0
_METRES_PER_DEGREE = 111_320.0

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
    # The published inverse is only approximate (off by up to ~5 cm, enough to open slivers of
    # tens of m² along a kilometre of shared edge): take it as the first guess and refine it
    # against the forward formula, as gcj02_to_wgs84 does.
    blon, blat = np.asarray(lon, float), np.asarray(lat, float)
    x, y = blon - 0.0065, blat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_PI)
    glon, glat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(30):
        tlon, tlat = gcj02_to_bd09(glon, glat)
        elon, elat = blon - tlon, blat - tlat
        glon, glat = glon + elon, glat + elat
        if np.max(np.abs(elon), initial=0) < 1e-10 and np.max(np.abs(elat), initial=0) < 1e-10:
            break
    return glon, glat


def gcj02_to_bd09(lon, lat):
    x, y = np.asarray(lon, float), np.asarray(lat, float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def normalize_crs(value: str) -> str:
    """The canonical name of a coordinate system (wgs84, gcj02, bd09 or EPSG:n), or
    GeometryError. EPSG:4326 and OGC CRS84 are wgs84."""
    name = str(value).strip()
    if name.lower() in CRS_NAMES:
        return name.lower()
    name = CRS_ALIASES.get(name.lower(), name)
    try:
        crs = _proj_crs(name)
    except CRSError:
        raise GeometryError(f"unknown coordinate system {value!r}; use {CRS_HELP}") from None
    if crs.is_geographic and crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return "wgs84"
    if crs.is_geocentric or not (crs.is_geographic or crs.is_projected):
        raise GeometryError(f"{value!r} is not a geographic or projected coordinate system")
    code = crs.to_epsg(min_confidence=70)
    return f"EPSG:{code}" if code else crs.to_wkt()


def crs_label(crs: str) -> str:
    """A short human name for a coordinate system, for messages."""
    if crs in CRS_NAMES:
        return {"wgs84": "WGS84", "gcj02": "GCJ-02", "bd09": "BD-09"}[crs]
    proj = _proj_crs(crs)
    code = proj.to_epsg(min_confidence=70)
    return f"{proj.name} (EPSG:{code})" if code else proj.name


def is_projected(crs: str) -> bool:
    return crs not in CRS_NAMES and _proj_crs(crs).is_projected


@lru_cache(maxsize=64)
def _proj_crs(name: str) -> CRS:
    return CRS.from_user_input(name)


@lru_cache(maxsize=64)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(_proj_crs(source), _proj_crs(target), always_xy=True)


def to_wgs84(lon, lat, crs: str):
    """Convert coordinates (scalars or arrays; x, y for a projection) from crs to WGS84."""
    if crs == "wgs84":
        return np.asarray(lon, float), np.asarray(lat, float)
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    if crs.lower() in CRS_ALIASES or crs.upper().startswith("EPSG:") or "[" in crs:
        x, y = _transformer(CRS_ALIASES.get(crs.lower(), crs), "EPSG:4326").transform(
            np.asarray(lon, float), np.asarray(lat, float)
        )
        return np.asarray(x, float), np.asarray(y, float)
    raise GeometryError(f"unknown coordinate system {crs!r}; use {CRS_HELP}")


def from_wgs84(lon, lat, crs: str):
    """Convert WGS84 coordinates to crs (to say where a fault lies in the file's own system)."""
    if crs == "wgs84":
        return np.asarray(lon, float), np.asarray(lat, float)
    if crs == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if crs == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    x, y = _transformer("EPSG:4326", CRS_ALIASES.get(crs.lower(), crs)).transform(
        np.asarray(lon, float), np.asarray(lat, float)
    )
    return np.asarray(x, float), np.asarray(y, float)


def point_to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    if crs == "wgs84":  # most points: no arrays to make for nothing
        return float(lon), float(lat)
    x, y = to_wgs84(lon, lat, crs)
    return float(x), float(y)


def describe_point(lon: float, lat: float, crs: str = "wgs84") -> str:
    """A WGS84 point for a message, with the same point in the file's own system when that is
    another: "(114.1, 22.5) WGS84 = (114.105, 22.497) GCJ-02"."""
    text = f"({lon:.7f}, {lat:.7f}) WGS84"
    if crs == "wgs84":
        return text
    x, y = from_wgs84(lon, lat, crs)
    digits = 2 if is_projected(crs) else 7
    return f"{text} = ({float(x):.{digits}f}, {float(y):.{digits}f}) {crs_label(crs)}"


def densify(geom: BaseGeometry, crs: str) -> BaseGeometry:
    """Edges cut to at most DENSIFY_METRES (in the source's own units) so they convert straight."""
    if crs == "wgs84":
        return geom
    if is_projected(crs):
        unit = _proj_crs(crs).axis_info[0].unit_conversion_factor or 1.0
        step = DENSIFY_METRES / unit
    else:
        step = DENSIFY_METRES / _METRES_PER_DEGREE
    return shapely.segmentize(geom, step)


def geometry_to_wgs84(geom: BaseGeometry, crs: str) -> BaseGeometry:
    """A geometry in WGS84; lines and outlines are densified first (see the module notes)."""
    if crs == "wgs84":
        return geom
    if not isinstance(geom, shapely.Point | shapely.MultiPoint):
        geom = densify(geom, crs)
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
    return area_geometry(geom, crs, where)


def area_geometry(geom: BaseGeometry, crs: str, where: str) -> MultiPolygon:
    """A shapely (Multi)Polygon in crs as a valid WGS84 MultiPolygon, or GeometryError."""
    if geom is None or geom.is_empty:
        raise GeometryError(f"{where}: geometry is empty")
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        kind = geom.geom_type
        raise GeometryError(f"{where}: geometry must be a Polygon or MultiPolygon, not {kind}")
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise GeometryError(f"{where}: coordinates must be finite numbers")
    projected = is_projected(crs)
    if not projected and ((np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any()):
        raise GeometryError(f"{where}: coordinates are not longitude/latitude degrees")
    reason = shapely.is_valid_reason(geom)
    if reason != "Valid Geometry":
        raise GeometryError(f"{where}: invalid geometry: {reason}")
    geom = geometry_to_wgs84(geom, crs)
    if crs != "wgs84":
        lon, lat = shapely.get_coordinates(geom).T
        if not np.isfinite(lon).all() or _outside_china(lon, lat).any():
            raise GeometryError(
                f"{where}: converted from {crs_label(crs)} it falls outside China; "
                "is the coordinate system right?"
            )
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
