"""Where people are from: GB/T 2260 county codes for the region part of ID numbers and for the
origin of floating people."""

import csv

import numpy as np

from gridgov import idnumber

# Where a big city's floating population comes from (province, weight; Shenzhen's mix). The
# district's own province is drawn apart (Regions.elsewhere(home=...)).
PROVINCES = {
    "43": 18, "44": 12, "45": 10, "36": 10, "42": 9, "41": 8, "51": 6, "35": 4, "50": 3,
    "52": 3, "34": 3, "37": 2, "13": 2, "61": 2, "32": 1, "33": 1, "23": 1, "21": 1, "22": 1,
    "14": 1, "53": 1, "46": 1, "15": 0.5, "62": 0.5, "11": 0.5, "12": 0.5, "31": 0.5,
}  # fmt: skip


class Regions:
    """GB/T 2260 county codes to draw birthplaces and origins from, for one district: codes[0]
    is the district, then the rest of its city (city), then the city's abolished codes that older
    locals still carry (old, e.g. 宝安县 until 1992), then everywhere else."""

    def __init__(self, rng: np.random.Generator, county: str = "440303"):
        with idnumber.REGIONS_FILE.open(encoding="utf-8-sig") as f:
            rows = [r for r in csv.DictReader(f) if r["级别"] == "县级"]
        city = county[:4]
        in_use = [r["代码"] for r in rows if r["状态"] == "在用"]
        same_city = sorted(c for c in in_use if c[:4] == city and c != county)
        old = sorted(
            {r["代码"] for r in rows if r["状态"] != "在用" and r["代码"][:4] == city} - set(in_use)
        )
        rest = sorted(c for c in in_use if c[:4] != city)
        self.home = county[:2]
        self.codes = [county, *same_city, *old, *rest]
        self.city = range(1, 1 + len(same_city))
        self.old = range(self.city.stop, self.city.stop + len(old))
        self.index = {c: i for i, c in enumerate(self.codes)}
        by_province: dict[str, list[str]] = {}
        for code in rest:
            by_province.setdefault(code[:2], []).append(code)
        provinces = [p for p in PROVINCES if p in by_province]
        if self.home in by_province and self.home not in provinces:
            provinces.append(self.home)
        weights = np.array([PROVINCES.get(p, 12) for p in provinces], float)
        self._provinces = provinces
        self._weights = weights / weights.sum()
        self._members = [np.array([self.index[c] for c in by_province[p]]) for p in provinces]
        self._rng = rng
        # The first six digits' share of the ID number's check sum, per code.
        digits = np.array([[int(d) for d in c] for c in self.codes])
        self.weighted = digits @ np.array(idnumber.WEIGHTS[:6])

    def elsewhere(self, n: int, home: bool | None = None) -> np.ndarray:
        """n counties outside the city, by where floating people come from; home=False leaves
        out the district's province, True keeps only it."""
        weights = self._weights.copy()
        own = np.array([p == self.home for p in self._provinces])
        if home is not None and own.any() and (~own).any():
            weights[own != home] = 0
            weights /= weights.sum()
        province = self._rng.choice(len(self._provinces), size=n, p=weights)
        out = np.empty(n, np.int32)
        for p in np.unique(province):
            where = province == p
            out[where] = self._rng.choice(self._members[p], size=int(where.sum()))
        return out
