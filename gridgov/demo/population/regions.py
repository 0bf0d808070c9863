"""Where people are from: GB/T 2260 county codes for the region part of ID numbers and for the
origin of floating people."""

import csv

import numpy as np

from gridgov import idnumber

LUOHU = "440303"
OTHER_SHENZHEN = ("440304", "440305", "440306", "440307", "440308")
BAOAN_COUNTY = "440321"  # 宝安县 until 1992: older locals still carry it
# Where Shenzhen's floating population comes from (province, weight).
PROVINCES = {
    "43": 18, "44": 12, "45": 10, "36": 10, "42": 9, "41": 8, "51": 6, "35": 4, "50": 3,
    "52": 3, "34": 3, "37": 2, "13": 2, "61": 2, "32": 1, "33": 1, "23": 1, "21": 1, "22": 1,
    "14": 1, "53": 1, "46": 1, "15": 0.5, "62": 0.5, "11": 0.5, "12": 0.5, "31": 0.5,
}  # fmt: skip


class Regions:
    """GB/T 2260 county codes to draw birthplaces and origins from."""

    def __init__(self, rng: np.random.Generator):
        with idnumber.REGIONS_FILE.open(encoding="utf-8-sig") as f:
            rows = [
                r
                for r in csv.DictReader(f)
                if r["级别"] == "县级" and r["状态"] == "在用" and not r["代码"].startswith("4403")
            ]
        by_province: dict[str, list[str]] = {}
        for row in rows:
            by_province.setdefault(row["代码"][:2], []).append(row["代码"])
        self.codes = [LUOHU, *OTHER_SHENZHEN, BAOAN_COUNTY] + sorted(r["代码"] for r in rows)
        self.index = {c: i for i, c in enumerate(self.codes)}
        provinces = [p for p in PROVINCES if p in by_province]
        weights = np.array([PROVINCES[p] for p in provinces], float)
        self._provinces = provinces
        self._weights = weights / weights.sum()
        self._members = [np.array([self.index[c] for c in by_province[p]]) for p in provinces]
        self._rng = rng
        # The first six digits' share of the ID number's check sum, per code.
        digits = np.array([[int(d) for d in c] for c in self.codes])
        self.weighted = digits @ np.array(idnumber.WEIGHTS[:6])

    def elsewhere(self, n: int, guangdong: bool | None = None) -> np.ndarray:
        """n counties outside Shenzhen, by where floating people come from; guangdong=False
        leaves out the province, True keeps only it."""
        weights = self._weights.copy()
        gd = np.array([p == "44" for p in self._provinces])
        if guangdong is not None:
            weights[gd != guangdong] = 0
            weights /= weights.sum()
        province = self._rng.choice(len(self._provinces), size=n, p=weights)
        out = np.empty(n, np.int32)
        for p in np.unique(province):
            where = province == p
            out[where] = self._rng.choice(self._members[p], size=int(where.sum()))
        return out
