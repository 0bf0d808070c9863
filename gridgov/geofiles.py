"""Reading the files a district has: GeoJSON, Shapefile, GeoPackage and KML, and CSV text.

Every vector file is read through GDAL (pyogrio) into GeoJSON-like features, so one importer
checks them all. GeoJSON is still parsed as JSON by the importer, which names each broken
feature by its index where GDAL would drop it or refuse the whole file; here it is only decoded.

Text encodings: a file is UTF-8 (with or without a BOM) unless told otherwise; failing that, GBK
(read as GB 18030, its superset), which is what Excel and ArcGIS on Chinese Windows write.
"""

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from shapely.geometry import mapping

from gridgov.errors import ValidationFailed
from gridgov.geo import CRS_HELP, CRS_NAMES, GeometryError, crs_label, normalize_crs

GEOJSON_SUFFIXES = (".geojson", ".json")
# pyogrio reads a folder or a zip too, but a district's files come as one file per layer.
VECTOR_SUFFIXES = (".shp", ".gpkg", ".kml", ".kmz", ".zip")


@dataclass
class Source:
    """Features ready for an importer, with the coordinate system the file itself states."""

    features: list[dict]
    crs: str | None
    name: str = "file"


def decode(data: bytes, encoding: str | None = None, what: str = "file") -> str:
    """The text of a file: in the declared encoding, else UTF-8 (BOM dropped), else GBK."""
    if encoding:
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except LookupError:
            raise ValidationFailed.field("encoding", f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as e:
            raise ValidationFailed.field(
                "encoding", f"{what} is not {encoding} (byte {e.start} cannot be read)"
            ) from None
    for candidate in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed.field(
        "encoding", f"{what} is neither UTF-8 nor GBK; say which it is with --encoding"
    )


def geojson_crs(text: str) -> str | None:
    """The coordinate system a GeoJSON text names in its (pre-RFC 7946) crs member, if any."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    crs = data.get("crs") if isinstance(data, dict) else None
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not name:
        return None
    try:
        return normalize_crs(name)
    except GeometryError as e:
        raise ValidationFailed.field("crs", f"the file's crs member: {e}") from None


def choose_crs(file_crs: str | None, declared: str | None) -> str:
    """The coordinate system to read a file in: the one it states, else the declared one.

    A file that states WGS84 may be declared gcj02 or bd09: those have no code a file could
    carry, and GeoJSON and KML state WGS84 whatever they hold. Any other disagreement is an
    error, and so is a file that states none when none is declared.
    """
    declared = _normalized(declared) if declared else None
    if file_crs is None:
        if declared is None:
            raise ValidationFailed.field(
                "crs", f"the file does not say its coordinate system; give --crs ({CRS_HELP})"
            )
        return declared
    if declared is None or declared == file_crs:
        return file_crs
    if file_crs == "wgs84" and declared in ("gcj02", "bd09"):
        return declared
    raise ValidationFailed.field(
        "crs",
        f"the file says {crs_label(file_crs)} but --crs says {crs_label(declared)}; "
        "leave --crs out to use the file's own",
    )


def _normalized(crs: str) -> str:
    try:
        return normalize_crs(crs)
    except GeometryError as e:
        raise ValidationFailed.field("crs", str(e), location="query") from None


def read_path(path: Path, encoding: str | None = None) -> str | Source:
    """A file as the importers take it: GeoJSON as its text, other formats as a Source."""
    suffix = path.suffix.lower()
    if suffix in GEOJSON_SUFFIXES:
        return decode(path.read_bytes(), encoding, path.name)
    if suffix not in VECTOR_SUFFIXES:
        raise ValidationFailed.field(
            "file", f"{path.name}: use GeoJSON, Shapefile (.shp), GeoPackage (.gpkg) or KML"
        )
    return read_vector(path, encoding)


def read_vector(path: Path, encoding: str | None = None) -> Source:
    """Every feature of the first layer of a Shapefile, GeoPackage or KML file through GDAL."""
    try:
        meta, _fids, wkb, values = pyogrio.raw.read(path, encoding=encoding)
    except (DataSourceError, DataLayerError) as e:
        message = f"{path.name} cannot be read: {_first_line(e)}"
        raise ValidationFailed.field("file", message) from None
    except UnicodeDecodeError:
        raise ValidationFailed.field(
            "encoding", f"{path.name}: its text is not {encoding or 'UTF-8'}; use --encoding"
        ) from None
    file_crs = None
    if meta.get("crs"):
        try:
            file_crs = normalize_crs(meta["crs"])
        except GeometryError as e:
            raise ValidationFailed.field("crs", f"{path.name}: {e}") from None
    # KML calls its name field "Name": match property names without regard to case.
    names = [str(n) if str(n).lower() in ("id", "code") else str(n).lower() for n in meta["fields"]]
    count = len(values[0]) if len(values) else (0 if wkb is None else len(wkb))
    geoms = shapely.from_wkb(wkb) if wkb is not None else [None] * count
    features = []
    for i, geom in enumerate(geoms):
        props = {name: _plain(column[i]) for name, column in zip(names, values, strict=True)}
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": None if geom is None else mapping(geom),
            }
        )
    return Source(features, file_crs, path.name)


def _plain(value):
    """A column value as JSON would have it (dates as ISO text, missing as None)."""
    if value is None:
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value.astype("datetime64[D]"))
    if isinstance(value, datetime | date):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


__all__ = ["CRS_NAMES", "Source", "choose_crs", "decode", "geojson_crs", "read_path"]
