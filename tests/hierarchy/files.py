"""Write the files a district has (Shapefile, GeoPackage, KML, GeoJSON, CSV) in a test, with the
same library the importer reads them with."""

import json
import warnings
from pathlib import Path

import numpy as np
import shapely
from pyogrio.raw import write
from shapely.geometry import shape

from gridgov.geo import from_wgs84
from tests import factories as f

DRIVERS = {".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".kml": "KML"}


def in_crs(geometry: dict, crs: str) -> shapely.Geometry:
    """A WGS84 GeoJSON geometry with every vertex converted to crs (edges straight there)."""
    if crs == "wgs84":
        return shape(geometry)
    return shapely.transform(
        shape(geometry), lambda xy: np.column_stack(from_wgs84(xy[:, 0], xy[:, 1], crs))
    )


def write_vector(
    path: Path, features: list[dict], crs: str | None, encoding=None, *, drawn_in_crs=False
) -> Path:
    """GeoJSON-like features (WGS84, or in crs already when drawn_in_crs) written as a vector
    file whose coordinates are in crs; the file states crs unless it is None (no .prj)."""
    source = "wgs84" if drawn_in_crs else crs or "wgs84"
    geoms = np.array([shapely.to_wkb(in_crs(x["geometry"], source)) for x in features], object)
    names = sorted({k for x in features for k in x["properties"]})
    values = [np.array([str(x["properties"].get(k, "")) for x in features], object) for k in names]
    with warnings.catch_warnings():
        # GDAL warns that a file without a coordinate system may be unusable: that is the point
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        _write(path, geoms, values, names, crs, encoding)
    return path


def _write(path, geoms, values, names, crs, encoding):
    write(
        path,
        geoms,
        values,
        names,
        driver=DRIVERS[path.suffix],
        geometry_type="MultiPolygon",
        promote_to_multi=True,
        crs=_epsg(crs),
        encoding=encoding,
    )


def _epsg(crs: str | None) -> str | None:
    if crs is None:
        return None
    return "EPSG:4326" if crs == "wgs84" else crs


def write_geojson(path: Path, features: list[dict], *, bom=False, crs_member=None) -> Path:
    data = {"type": "FeatureCollection", "features": features}
    if crs_member:
        data["crs"] = {"type": "name", "properties": {"name": crs_member}}
    text = json.dumps(data, ensure_ascii=False)
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def district_cells() -> list[dict]:
    return [x for c in f.COMMUNITIES for x in f.grid_features(c)]


def district_outlines() -> list[dict]:
    outlines = [f.feature(f.box(f.WEST, f.SOUTH, f.EAST, f.NORTH), code=f.DISTRICT)]
    outlines += [
        f.feature(f.box(w, f.SOUTH, e, f.NORTH), code=c) for c, (w, e) in f.STREETS.items()
    ]
    outlines += [
        f.feature(f.box(w, f.SOUTH, e, f.NORTH), code=c) for c, (w, e) in f.COMMUNITIES.items()
    ]
    return outlines


def gauss_kruger_district(crs: str = "EPSG:4526") -> tuple[list[dict], list[dict]]:
    """The synthetic district drawn as a land office would: rectangles in metres on a
    Gauss-Krüger plane, from the district's south-west corner (outlines, cells)."""
    x0, y0 = (float(v) for v in from_wgs84(f.WEST, f.SOUTH, crs))
    x0, y0 = round(x0), round(y0)

    def rect(west, south, east, north):  # kilometres from the corner
        return f.box(x0 + west * 1000, y0 + south * 1000, x0 + east * 1000, y0 + north * 1000)

    outlines = [f.feature(rect(0, 0, 4, 2), code=f.DISTRICT)]
    outlines += [f.feature(rect(2 * i, 0, 2 * i + 2, 2), code=c) for i, c in enumerate(f.STREETS)]
    cells = []
    for i, code in enumerate(f.COMMUNITIES):
        outlines.append(f.feature(rect(i, 0, i + 1, 2), code=code))
        for j, (south, north) in enumerate(((1, 2), (0, 1))):
            cells.append(
                f.feature(rect(i, south, i + 1, north), code=f"{code}00{j + 1}", name="北网格")
            )
    return outlines, cells
