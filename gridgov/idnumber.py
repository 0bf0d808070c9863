"""Citizen ID numbers (GB 11643-1999) and the permits that share their shape.

18 characters: region 6 (GB/T 2260) + birth date 8 + sequence 3 (odd = male) + check character
(ISO 7064 MOD 11-2). Old 15-digit numbers upgrade by inserting "19" and computing the check.
81/82/83 prefixes are residence permits for Hong Kong, Macao and Taiwan residents; a leading 9 is
the 2023 foreign permanent-resident ID (9 + issuing province 2 + nationality 3 + birth date 8 +
sequence 3 + check). People keep their number when a county is renamed or abolished, so the
region is checked against every GB/T 2260 code ever in use (geodata/gbt2260_county_codes_*.csv).
"""

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from gridgov.clock import district_today
from gridgov.config import GEODATA_DIR

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
REGIONS_FILE = GEODATA_DIR / "gbt2260_county_codes_1981_2024.csv"
PERMIT_PREFIXES = {"810000": "hong_kong", "820000": "macao", "830000": "taiwan"}
EARLIEST_BIRTH = date(1850, 1, 1)
_FULL_WIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９Ｘｘ"}


class IdNumberError(ValueError):
    """An invalid ID number; `rule` is a stable name for the rule it broke."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class IdNumber:
    number: str  # normalised 18 characters
    kind: str  # mainland, hong_kong, macao, taiwan, foreign_permanent
    birth_date: date
    sex: str  # "1" male, "2" female (GB/T 2261.1)
    upgraded_from: str | None = None  # the 15-digit original


@lru_cache(maxsize=1)
def _regions() -> frozenset[str]:
    with REGIONS_FILE.open(encoding="utf-8-sig") as f:
        return frozenset(row["代码"] for row in csv.DictReader(f))


@lru_cache(maxsize=1)
def _provinces() -> frozenset[str]:
    return frozenset(code[:2] for code in _regions() if code.endswith("0000"))


def check_character(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise(raw: str) -> str:
    """Trim, turn full-width digits into ASCII and a lower-case x into X."""
    return raw.strip().translate(_FULL_WIDTH).upper()


def _birth(text: str, today: date) -> date:
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise IdNumberError("birth_date", f"{text} is not a real date") from None
    if born > today:
        raise IdNumberError("birth_date", f"birth date {born} is in the future")
    if born < EARLIEST_BIRTH:
        raise IdNumberError("birth_date", f"birth date {born} is before {EARLIEST_BIRTH.year}")
    return born


def parse(raw: str, today: date | None = None) -> IdNumber:
    """Validate and normalise an ID number, or raise IdNumberError naming the rule."""
    today = today or district_today()
    value = normalise(raw)
    upgraded_from = None
    if len(value) == 15:
        if not value.isdigit():
            raise IdNumberError("characters", "a 15-digit number has only digits")
        upgraded_from = value
        value = value[:6] + "19" + value[6:]
        value += check_character(value)
    if len(value) != 18:
        raise IdNumberError("length", f"must have 18 characters (or 15 digits), not {len(value)}")
    if not value[:17].isdigit() or value[17] not in "0123456789X":
        raise IdNumberError("characters", "must be 17 digits and a digit or X")
    if check_character(value[:17]) != value[17]:
        raise IdNumberError("check_digit", "the check character does not match")
    born = _birth(value[6:14], today)
    kind = PERMIT_PREFIXES.get(value[:6])
    if kind is None and value[0] == "9":
        kind = "foreign_permanent"
        if value[1:3] not in _provinces():
            raise IdNumberError("region", f"{value[1:3]} is not a province code")
    elif kind is None:
        kind = "mainland"
        if value[:6] not in _regions():
            raise IdNumberError("region", f"{value[:6]} was never a GB/T 2260 region code")
    sex = "1" if int(value[16]) % 2 else "2"
    return IdNumber(value, kind, born, sex, upgraded_from)


def mask(number: str) -> str:
    """110105********002X: region and the last four characters stay readable."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
