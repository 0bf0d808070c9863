"""The district a population is generated for: its code, the address its houses begin with, and
the place names its compounds are named after, all from the district's own codes and names (the
areas loaded, and the GB/T 2260 list for the province and city)."""

import csv
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov import idnumber
from gridgov.errors import NotFound, ValidationFailed
from gridgov.hierarchy.models import Area

SUFFIXES = (
    "社区居民委员会", "社区居委会", "居民委员会", "村民委员会", "街道办事处", "居委会", "村委会",
    "街道", "社区", "镇", "乡",
)  # fmt: skip


@dataclass(frozen=True)
class District:
    code: str  # 12 digits
    name: str
    address: str  # what every address in it begins with: 深圳市罗湖区, 北京市东城区
    places: tuple[str, ...]  # short names of its streets and communities
    villages: tuple[str, ...]  # of its villages (村委会), else the places

    @property
    def county(self) -> str:
        return self.code[:6]


def short(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _address(county: str, name: str) -> str:
    """City (or, for a municipality, province) and district, as an address writes them."""
    with idnumber.REGIONS_FILE.open(encoding="utf-8-sig") as f:
        row = next((r for r in csv.DictReader(f) if r["代码"] == county), None)
    if row is None:
        return name
    city = row["二级行政区"]
    top = row["一级行政区"] if city in ("", "直辖", "市辖区") else city
    return f"{top}{name}"


def district_of(session: Session, code: str | None) -> District:
    """The district to generate into: the one named (12 or 6 digits), or the only one loaded."""
    districts = session.execute(
        select(Area.code, Area.name).where(Area.level == "district").order_by(Area.code)
    ).all()
    if not districts:
        raise NotFound(
            "No district is loaded; load one first (flask demo load, or flask areas "
            "import-codes with your own).",
            code="no_district",
        )
    if code is None:
        if len(districts) != 1:
            raise ValidationFailed.field(
                "district",
                f"{len(districts)} districts are loaded; say which with --district CODE",
            )
        found = districts[0]
    else:
        want = code.ljust(12, "0") if len(code) == 6 else code
        found = next((d for d in districts if d.code == want), None)
        if found is None:
            raise NotFound(f"No district {code} is loaded.", code="unknown_district")
    below = session.execute(
        select(Area.code, Area.name).where(
            Area.code.like(found.code[:6] + "%"), Area.level.in_(("street", "community"))
        )
    ).all()
    places = tuple(dict.fromkeys(short(n) for _, n in below))
    villages = tuple(dict.fromkeys(short(n) for c, n in below if c[9:] >= "200"))
    return District(
        found.code,
        found.name,
        _address(found.code[:6], found.name),
        places or (short(found.name),),
        villages or places or (short(found.name),),
    )
