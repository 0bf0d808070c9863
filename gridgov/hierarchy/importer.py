"""Import boundaries and grid cells (area codes: codefile.py). Each file is one transaction: it
is applied whole or not at all, and importing the same file again changes nothing."""

import json
from dataclasses import dataclass, field
from datetime import date

from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import select

from gridgov.audit.service import record
from gridgov.errors import ValidationFailed, field_error
from gridgov.extensions import db
from gridgov.geo import SRID, GeometryError, describe_point, parse_area_geometry
from gridgov.geofiles import Source, choose_crs, geojson_crs
from gridgov.hierarchy import topology
from gridgov.hierarchy.models import Area

GRID_TYPE_NAMES = {
    "general": "general",
    "综合": "general",
    "dedicated": "dedicated",
    "专属": "dedicated",
}
_LEVEL_ORDER = {"district": 0, "street": 1, "community": 2}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "warnings": self.warnings,
        }


class _Errors:
    """Collects every problem in a file so one run reports them all."""

    def __init__(self):
        self.items: list[dict] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(field_error(where, message, "file"))

    def raise_if_any(self, what: str) -> None:
        """Roll back whatever the file already changed and report every problem found."""
        if self.items:
            db.session.rollback()
            first = "; ".join(f"{e['field']}: {e['message']}" for e in self.items[:5])
            more = f" (and {len(self.items) - 5} more)" if len(self.items) > 5 else ""
            raise ValidationFailed(
                f"{what} not imported: {first}{more}", errors=self.items, code="import_rejected"
            )


def _level_of_code(code: str) -> str | None:
    """The level a 12-digit statistical code has by its digits, per GB/T 10114 and NBS rules."""
    if code[6:] == "000000" and code[4:6] != "00":
        return "district"
    if code[9:] == "000" and code[6:9] != "000":
        return "street"
    if code[9:] != "000" and code[6:9] != "000":
        return "community"
    return None


def _apply(result: ImportResult, area: Area | None, values: dict, actor_id, action: str) -> Area:
    if area is None:
        area = Area(**values)
        db.session.add(area)
        result.created += 1
        record(action, "area", values["code"], actor_id=actor_id, after=_plain(values))
        return area
    before = {k: getattr(area, k) for k in values}
    changed = {k: v for k, v in values.items() if not _same(before[k], v)}
    if not changed:
        result.unchanged += 1
        return area
    for key, value in changed.items():
        setattr(area, key, value)
    result.updated += 1
    record(
        action,
        "area",
        area.code,
        actor_id=actor_id,
        before=_plain({k: before[k] for k in changed}),
        after=_plain(changed),
    )
    return area


def _same(old, new) -> bool:
    if hasattr(new, "desc") and hasattr(new, "data"):  # a geometry element
        return old is not None and to_shape(old).equals_exact(to_shape(new), 1e-9)
    return old == new


def _plain(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if key == "geom":
            out[key] = None if value is None else f"{to_shape(value).geom_type}"
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def _features(text: str, errors: _Errors) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        errors.add("file", f"not valid JSON ({e.msg} at line {e.lineno})")
        return []
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
    elif isinstance(data, dict) and data.get("type") == "Feature":
        features = [data]
    else:
        errors.add("file", "must be a GeoJSON FeatureCollection or Feature")
        return []
    if not isinstance(features, list) or not features:
        errors.add("features", "must be a non-empty list")
        return []
    return features


def _each(features: list, errors: _Errors):
    """(where, feature, properties) of each feature that is a JSON object."""
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        if isinstance(feature, dict):
            yield where, feature, feature.get("properties") or {}
        else:
            errors.add(where, "must be a GeoJSON Feature")


def _open(data: str | Source, declared: str | None, errors: _Errors) -> tuple[list, str]:
    """The features of a GeoJSON text or a read file, and the coordinate system to read them in:
    the file's own, else the declared one (one rule for every import)."""
    if isinstance(data, Source):
        return data.features, choose_crs(data.crs, declared)
    crs = choose_crs(geojson_crs(data), declared)
    return _features(data, errors), crs


def _geometry(feature, crs, where, errors):
    try:
        return from_shape(parse_area_geometry(feature.get("geometry"), crs, where), srid=SRID)
    except GeometryError as e:
        errors.add(f"{where}.geometry", str(e).split(": ", 1)[-1])
        return None


def import_boundaries(
    data: str | Source, crs: str | None, actor_id=None, *, tolerance_m2: float = 1.0
) -> ImportResult:
    """Outlines of existing districts, streets or communities, matched on properties.code.
    Each must nest: inside its parent's outline, and around its children's and its cells'."""
    errors = _Errors()
    features, crs = _open(data, crs, errors)
    errors.raise_if_any("Boundaries")
    result = ImportResult()
    codes = []
    for where, feature, props in _each(features, errors):
        code = str(props.get("code", "")).strip()
        area = db.session.scalar(select(Area).where(Area.code == code, Area.level != "grid"))
        if area is None:
            errors.add(
                f"{where}.properties.code", f"{code!r} is not a known district, street or community"
            )
            continue
        geom = _geometry(feature, crs, where, errors)
        if geom is not None:
            _apply(result, area, {"code": code, "geom": geom}, actor_id, "import_boundary")
            codes.append(code)
    db.session.flush()
    errors.raise_if_any("Boundaries")
    nesting = topology.check(topology.NO_PREFIX, tolerance_m2, include_gaps=False, codes=codes)
    for fault in nesting:
        errors.add(fault["code"], _describe(fault, crs, tolerance_m2))
    _finish(errors, "Boundaries")
    return result


def import_grids(
    data: str | Source, crs: str | None, tolerance_m2: float, actor_id=None
) -> ImportResult:
    """Grid cells: properties code (15 digits), name, grid_type, optional valid_from and
    valid_to. The topology of the communities touched is checked before anything is kept: a
    cell whose community has no outline yet is refused, as nothing could check it."""
    errors = _Errors()
    features, crs = _open(data, crs, errors)
    errors.raise_if_any("Grid cells")
    result = ImportResult()
    communities = set()
    # One query for the cells and communities a file names, not two for each of its cells.
    named = {
        str((x.get("properties") or {}).get("code", "")).strip()
        for x in features
        if isinstance(x, dict)
    }
    known = {a.code: a for a in db.session.scalars(select(Area).where(Area.code.in_(named)))}
    parents = set(
        db.session.scalars(
            select(Area.code).where(
                Area.code.in_({c[:12] for c in named}), Area.level == "community"
            )
        )
    )
    with db.session.no_autoflush:
        _add_cells(features, crs, errors, result, communities, known, parents, actor_id)
    db.session.flush()
    errors.raise_if_any("Grid cells")
    for community in sorted(communities):
        for fault in topology.check(community, tolerance_m2):
            if fault["kind"] == "gap":
                result.warnings.append(fault)
            elif fault["kind"] != "outside_parent" or fault["level"] == "grid":
                where = fault.get("code") or ",".join(fault.get("codes", []))
                errors.add(where, _describe(fault, crs, tolerance_m2))
    _finish(errors, "Grid cells")
    return result


def _add_cells(features, crs, errors, result, communities, known, parents, actor_id) -> None:
    for where, feature, props in _each(features, errors):
        values = _grid_values(props, where, errors, parents)
        geom = _geometry(feature, crs, where, errors)
        if values is None or geom is None:
            continue
        current = known.get(values["code"])
        if current is not None and current.geom is not None and not _same(current.geom, geom):
            errors.add(
                f"{where}.geometry",
                f"{values['code']} exists with another outline; a redrawn cell needs a new code",
            )
            continue
        values["geom"] = geom
        known[values["code"]] = _apply(result, current, values, actor_id, "import_grid")
        communities.add(values["parent_code"])


def _grid_values(props: dict, where: str, errors: _Errors, parents: set[str]) -> dict | None:
    code = str(props.get("code", "")).strip()
    if not (len(code) == 15 and code.isdigit()):
        errors.add(f"{where}.properties.code", f"{code!r} is not a 15-digit grid code")
        return None
    community = code[:12] if code[:12] in parents else None
    if community is None:
        errors.add(f"{where}.properties.code", f"{code[:12]} is not a known community")
        return None
    if code[12:] == "000":
        errors.add(f"{where}.properties.code", "the sequence 000 is not a grid cell")
        return None
    name = str(props.get("name", "")).strip()
    if not name or len(name) > 100:
        errors.add(f"{where}.properties.name", "must be 1 to 100 characters")
        return None
    grid_type = GRID_TYPE_NAMES.get(str(props.get("grid_type", "general")))
    if grid_type is None:
        errors.add(f"{where}.properties.grid_type", "must be general (综合) or dedicated (专属)")
        return None
    values = {
        "code": code,
        "name": name,
        "level": "grid",
        "parent_code": community,
        "grid_type": grid_type,
    }
    for key in ("valid_from", "valid_to"):
        if props.get(key) not in (None, ""):
            try:
                values[key] = parse_date(props[key])
            except ValueError:
                errors.add(f"{where}.properties.{key}", "must be a date YYYY-MM-DD")
                return None
    if values.get("valid_to") and values["valid_to"] < values.get("valid_from", date.min):
        errors.add(f"{where}.properties.valid_to", "must not be before valid_from")
        return None
    return values


def parse_date(value) -> date:
    """A date as files write it: 2024-01-01, 2024/01/01 (KML, Excel) or a date-time."""
    text = str(value).strip().replace("/", "-")
    return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text)


def _describe(fault: dict, crs: str = "wgs84", tolerance_m2: float | None = None) -> str:
    """One fault in words, its position in WGS84 and in the file's own coordinate system."""
    point = describe_point(*fault["point"], crs)
    if fault["kind"] == "invalid_geometry":
        return f"invalid geometry: {fault['reason']} at {point}"
    if fault["kind"] == "unchecked":
        return f"cannot be checked: {fault['reason']}; import the community's boundary first"
    area = f"{fault['area_m2']:.3f} m²"
    if tolerance_m2 is not None:
        area += f" (tolerance {tolerance_m2:g} m²)"
    if fault["kind"] == "overlap":
        until = f" until {fault['to']}" if fault.get("to") else ""
        return f"overlaps {fault['codes'][1]} by {area} from {fault['from']}{until} at {point}"
    if fault["kind"] == "outside_parent":
        where = f"{fault['level']} {fault['code']} lies {area} outside {fault['parent']}"
    else:
        where = f"lies {area} outside community {fault['community']}"
    return f"{where} at {point}" + (
        f", in {', '.join(fault['reaches_into'])}" if fault["reaches_into"] else ""
    )


def _finish(errors: _Errors, what: str) -> None:
    errors.raise_if_any(what)
    db.session.commit()


# Area codes have their own module; importer.import_codes stays the name callers know.
from gridgov.hierarchy.codefile import import_codes  # noqa: E402

__all__ = ["ImportResult", "import_boundaries", "import_codes", "import_grids"]
