"""Import area codes from a CSV, in our layout or as the National Bureau of Statistics publishes
them (统计用区划代码, 城乡分类代码, 名称), with optional validity dates.

Columns are found by name (English or the NBS's Chinese headings); a file with no heading is read
as the NBS table: code, name or code, urban/rural class, name. A row's level and parent follow
from its digits when the file does not give them, and the district keeps the code above it (its
city) in upper_code. valid_from/valid_to back-date an area (a district onboarding in 2026 whose
streets existed long before), so statistics of earlier days have names.
"""

import csv
import io
from datetime import date

from sqlalchemy import select

from gridgov.extensions import db
from gridgov.hierarchy.importer import (
    _LEVEL_ORDER,
    ImportResult,
    _apply,
    _Errors,
    _finish,
    _level_of_code,
    parse_date,
)
from gridgov.hierarchy.models import Area, prefix_of

HEADINGS = {
    "code": ("code", "统计用区划代码", "区划代码", "代码"),
    "name": ("name", "名称"),
    "parent_code": ("parent_code", "parent", "上级代码"),
    "level": ("level", "级别"),
    "urban_rural": ("urban_rural", "ur_code", "城乡分类代码", "城乡分类"),
    "valid_from": ("valid_from", "生效日期", "启用日期"),
    "valid_to": ("valid_to", "失效日期", "停用日期"),
}
LEVEL_NAMES = {
    "district": "district",
    "county": "district",
    "区县": "district",
    "street": "street",
    "town": "street",
    "乡镇": "street",
    "街道": "street",
    "community": "community",
    "village": "community",
    "村": "community",
    "社区": "community",
}
# 城乡分类代码 (NBS 统计用城乡划分代码): 1xx urban (111 主城区, 112 城乡结合区, 121 镇中心区,
# 122 镇乡结合区, 123 特殊区域), 2xx rural (210 乡中心区, 220 村庄).
URBAN_RURAL = {"111", "112", "121", "122", "123", "210", "220"}


def _columns(first: list[str]) -> tuple[dict[str, int], bool]:
    """Which column holds what, and whether the first row is a heading."""
    cells = [c.strip().lstrip("\ufeff").lower() for c in first]
    found = {
        key: cells.index(name) for key, names in HEADINGS.items() for name in names if name in cells
    }
    if "code" in found:
        return found, True
    if cells and len(cells[0]) == 12 and cells[0].isdigit():
        layout = {"code": 0, "name": 1} if len(cells) == 2 else {"code": 0, "urban_rural": 1}
        if len(cells) >= 3:
            layout["name"] = 2
        return layout, False
    return found, True


def _rows(text: str, errors: _Errors):
    """(line, {field: value}) for each row."""
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not lines:
        errors.add("file", "is empty")
        return []
    columns, heading = _columns(lines[0])
    missing = {"code", "name"} - set(columns)
    if missing:
        errors.add("header", f"missing column(s) {', '.join(sorted(missing))}")
        return []
    out = []
    for number, cells in enumerate(lines[1:] if heading else lines, start=2 if heading else 1):
        if not any(c.strip() for c in cells):
            continue
        out.append(
            (number, {k: cells[i].strip() if i < len(cells) else "" for k, i in columns.items()})
        )
    return out


def _derived_parent(code: str, level: str) -> str:
    if level == "community":
        return code[:9] + "000"
    if level == "street":
        return code[:6] + "000000"
    return code[:4] + "00000000"


def _parse(line: int, row: dict, errors: _Errors, valid_from: date | None) -> dict | None:
    where = f"line {line}"
    code = row["code"]
    if not (len(code) == 12 and code.isdigit()):
        errors.add(f"{where}.code", f"{code!r} is not a 12-digit area code")
        return None
    by_digits = _level_of_code(code)
    level = LEVEL_NAMES.get(row.get("level", "").lower(), row.get("level") or by_digits)
    if level not in _LEVEL_ORDER:
        errors.add(f"{where}.level", f"{level!r} is not one of district, street, community")
        return None
    if by_digits != level:
        errors.add(f"{where}.code", f"{code} is not a {level} code by its digits")
        return None
    name = row["name"]
    if not name or len(name) > 100:
        errors.add(f"{where}.name", "must be 1 to 100 characters")
        return None
    parent = row.get("parent_code") or _derived_parent(code, level)
    if not (len(parent) == 12 and parent.isdigit()):
        errors.add(f"{where}.parent_code", f"{parent!r} is not a 12-digit area code")
        return None
    urban_rural = row.get("urban_rural") or None
    if urban_rural:
        if level != "community":
            errors.add(f"{where}.urban_rural", "only communities carry a 城乡分类代码")
            return None
        if urban_rural not in URBAN_RURAL:
            known = ", ".join(sorted(URBAN_RURAL))
            errors.add(f"{where}.urban_rural", f"{urban_rural!r} is not an NBS class ({known})")
            return None
    values = {"code": code, "name": name, "level": level}
    if "urban_rural" in row:  # a file without the column leaves what is stored
        values["urban_rural"] = urban_rural
    dates = {"valid_from": valid_from} if valid_from else {}
    for key in ("valid_from", "valid_to"):
        if row.get(key):
            try:
                dates[key] = parse_date(row[key])
            except ValueError:
                errors.add(f"{where}.{key}", "must be a date YYYY-MM-DD")
                return None
    if dates.get("valid_to") and dates["valid_to"] < dates.get("valid_from", date.min):
        errors.add(f"{where}.valid_to", "must not be before valid_from")
        return None
    values.update(dates)
    return {"line": line, "parent": parent, "values": values}


def import_codes(text: str, actor_id=None, *, valid_from: date | None = None) -> ImportResult:
    """Area codes from CSV (see the module notes). valid_from is the start of the rows that give
    none (default: the day an area is first imported)."""
    errors = _Errors()
    rows = [r for line, row in _rows(text, errors) if (r := _parse(line, row, errors, valid_from))]
    errors.raise_if_any("Area codes")
    seen = {}
    for row in rows:
        code = row["values"]["code"]
        if code in seen:
            errors.add(f"line {row['line']}.code", f"{code} repeats line {seen[code]}")
        seen[code] = row["line"]
    errors.raise_if_any("Area codes")

    wanted = [r["values"]["code"] for r in rows] + [r["parent"] for r in rows]
    existing = {a.code: a for a in db.session.scalars(select(Area).where(Area.code.in_(wanted)))}
    levels = {code: a.level for code, a in existing.items()}
    levels.update({r["values"]["code"]: r["values"]["level"] for r in rows})
    result = ImportResult()
    for row in sorted(rows, key=lambda r: _LEVEL_ORDER[r["values"]["level"]]):
        values, line, parent = dict(row["values"]), row["line"], row["parent"]
        code, level = values["code"], values["level"]
        if level == "district":
            values.update(parent_code=None, upper_code=parent)
        else:
            want = "district" if level == "street" else "street"
            if levels.get(parent) != want:
                errors.add(f"line {line}.parent_code", f"{parent} is not a known {want}")
                continue
            if not code.startswith(prefix_of(parent, want)):
                errors.add(f"line {line}.parent_code", f"{code} does not lie under {parent}")
                continue
            values["parent_code"] = parent
        current = existing.get(code)
        if current is not None and current.level != level:
            errors.add(f"line {line}.level", f"{code} is stored as a {current.level}")
            continue
        if current is None:
            values = {k: v for k, v in values.items() if v is not None}
        existing[code] = _apply(result, current, values, actor_id, "import_area")
        db.session.flush()
    _finish(errors, "Area codes")
    return result
