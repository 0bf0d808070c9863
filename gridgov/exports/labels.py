"""The labels an export shows beside codes: code tables (a closed code keeps its last label, as
old records keep it), area names, and GB/T 2260 region names."""

import csv
from functools import lru_cache

from sqlalchemy import select

from gridgov.codes.models import Code
from gridgov.exports.columns import AREA, PROVINCE, REGION
from gridgov.extensions import db
from gridgov.hierarchy.models import Area
from gridgov.idnumber import REGIONS_FILE


@lru_cache(maxsize=1)
def _regions() -> dict[str, str]:
    """Every GB/T 2260 code ever in use with its name (a later row of a code wins)."""
    with REGIONS_FILE.open(encoding="utf-8-sig") as f:
        return {row["代码"]: row["名称"] for row in csv.DictReader(f)}


class Labels:
    """Labels by table and code, read once per export."""

    def __init__(self, tables: dict[str, dict[str, str]]):
        self.tables = tables

    @classmethod
    def load(cls, area_prefix: str | None = None) -> "Labels":
        """Code tables and regions; with an area prefix, the names of the areas below it."""
        tables: dict[str, dict[str, str]] = {}
        # Oldest first, the code in force last: dict assignment keeps the newest label.
        rows = db.session.execute(
            select(Code.table_name, Code.code, Code.label).order_by(
                Code.valid_to.is_(None), Code.version
            )
        )
        for table, code, label in rows:
            tables.setdefault(table, {})[code] = label
        if area_prefix is not None:
            areas = db.session.execute(
                select(Area.code, Area.name)
                .where(Area.code.like(area_prefix + "%"))
                .order_by(Area.valid_to.is_(None), Area.valid_from)
            )
            tables[AREA] = dict(areas.all())
        tables[REGION] = _regions()
        provinces = {code[:2]: name for code, name in _regions().items() if code[2:] == "0000"}
        tables[PROVINCE] = provinces
        return cls(tables)

    def label(self, table: str, code) -> str | None:
        if code is None or code == "":
            return None
        return self.tables.get(table, {}).get(str(code))
