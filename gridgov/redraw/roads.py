"""A road layer (街巷) as given by a caller: GeoJSON lines in a named coordinate system, checked
and converted to one WGS84 MultiLineString, or a ValidationFailed naming the feature at fault."""

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, shape

from gridgov.errors import ValidationFailed, field_error
from gridgov.geo import CRS_NAMES, geometry_to_wgs84

LINE_TYPES = ("LineString", "MultiLineString")
# Roads may run a little past the district's edge; farther than this, the coordinates are
# more likely in another system (or swapped) than a road of this district.
MARGIN_DEG = 0.01


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", errors=[field_error(field, message)])


def _line(feature, where: str):
    if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
        raise _fail(where, "must be a GeoJSON Feature with a geometry")
    kind = feature["geometry"].get("type")
    if kind not in LINE_TYPES:
        raise _fail(f"{where}.geometry", f"must be a LineString or MultiLineString, not {kind}")
    try:
        geom = shape(feature["geometry"])
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as e:
        raise _fail(f"{where}.geometry", f"malformed coordinates ({e})") from None
    coords = shapely.get_coordinates(geom)
    if geom.is_empty or not np.isfinite(coords).all():
        raise _fail(f"{where}.geometry", "needs finite coordinates")
    parts = list(geom.geoms) if isinstance(geom, MultiLineString) else [geom]
    for part in parts:
        if len(set(map(tuple, shapely.get_coordinates(part)))) < 2:
            raise _fail(f"{where}.geometry", "a line needs at least two distinct points")
    if not geom.is_valid:
        raise _fail(f"{where}.geometry", f"invalid line: {shapely.is_valid_reason(geom)}")
    return coords, parts


def parse(data, crs: str, bbox: tuple[float, float, float, float], district: str):
    """The roads of a FeatureCollection as one WGS84 MultiLineString. `bbox` (west, south, east,
    north) is the district's, in WGS84: a road outside it is reported with the crs it was read
    in, the usual cause."""
    if crs not in CRS_NAMES:
        raise _fail("roads.crs", f"must be one of {', '.join(CRS_NAMES)}")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise _fail("roads", "must be a GeoJSON FeatureCollection of LineStrings")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise _fail("roads.features", "must hold at least one line")
    lines = []
    west, south, east, north = bbox
    for i, feature in enumerate(features):
        where = f"roads.features[{i}]"
        coords, parts = _line(feature, where)
        if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
            raise _fail(f"{where}.geometry", "coordinates are not longitude/latitude degrees")
        wgs = [geometry_to_wgs84(LineString(p), crs) for p in parts]
        xy = shapely.get_coordinates(wgs)
        outside = (
            (xy[:, 0] < west - MARGIN_DEG)
            | (xy[:, 0] > east + MARGIN_DEG)
            | (xy[:, 1] < south - MARGIN_DEG)
            | (xy[:, 1] > north + MARGIN_DEG)
        )
        if outside.any():
            lon, lat = xy[np.argmax(outside)]
            raise _fail(
                f"{where}.geometry",
                f"point ({lon:.6f}, {lat:.6f}) read as {crs} lies outside district {district} "
                f"(bbox {west:.4f},{south:.4f},{east:.4f},{north:.4f}); is the crs right?",
            )
        lines += wgs
    return MultiLineString(lines)
