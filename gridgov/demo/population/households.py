"""Who lives where: households sized by tenure, their members' roles, ages, names and origins,
and the dates they arrived and moved in (some after an earlier house)."""

from datetime import date

import numpy as np

from gridgov.demo.population.names import FEMALE_CHARS, MALE_CHARS, SURNAME_WEIGHTS, SURNAMES
from gridgov.demo.population.numbers import draw_phones
from gridgov.demo.population.plan import (
    CHILD,
    GRANDCHILD,
    HEAD,
    LODGER,
    PARENT,
    SPOUSE,
    Houses,
    People,
)
from gridgov.demo.population.regions import Regions

FLOATING_SHARE = 0.4
# Ages of household heads: (low, high, weight).
RESIDENT_HEADS = ((21, 29, 10), (30, 39, 22), (40, 49, 22), (50, 59, 19), (60, 69, 14))
RESIDENT_HEADS += ((70, 79, 8), (80, 89, 4), (90, 99, 1))
FLOATING_HEADS = ((18, 24, 16), (25, 34, 40), (35, 44, 27), (45, 54, 12), (55, 64, 5))
# Shares of households of 1 to 6 persons.
OWN_SIZES = (0.13, 0.24, 0.28, 0.19, 0.11, 0.05)
RENT_SIZES = (0.22, 0.25, 0.22, 0.16, 0.09, 0.06)


def plan_people(
    rng: np.random.Generator, houses: Houses, n: int, today: int, regions: Regions
) -> People:
    """n persons in households in the planned houses, about FLOATING_SHARE of them floating."""
    h = len(houses.building)
    rented, dorm = houses.rented, houses.dorm
    size, floating = _household_sizes(rng, houses, n)
    hh = np.flatnonzero(size > 0)
    hsize = size[hh]
    nh = len(hh)
    hfloat = floating[hh]
    shared = dorm[hh] | (rented[hh] & hfloat & (hsize > 1) & (rng.random(nh) < 0.35))
    head_age = np.where(
        hfloat, _band_ages(rng, FLOATING_HEADS, nh), _band_ages(rng, RESIDENT_HEADS, nh)
    )
    p_hh = np.repeat(np.arange(nh), hsize)
    role_no = np.arange(n) - np.repeat(np.cumsum(hsize) - hsize, hsize)
    a = head_age[p_hh]
    fam = ~shared[p_hh]
    young = a < 55
    pfloat = hfloat[p_hh]
    # Beyond a couple: children (many floating couples leave theirs at home), grandparents,
    # or, with floating people, relatives and fellow villagers sharing the rent.
    u = rng.random(n)
    extra = fam & (role_no >= 2) & young
    child = extra & (role_no < 5) & (u < np.where(pfloat, 0.4, 0.6))
    role = np.select(
        [role_no == 0, ~fam | (extra & pfloat & ~child & (u < 0.8)), role_no == 1, child, extra],
        [HEAD, LODGER, SPOUSE, CHILD, PARENT],
        np.where(role_no == 2, CHILD, GRANDCHILD),
    )
    r = rng.random(n)
    ages = np.select(
        [
            role == HEAD,
            role == LODGER,
            role == SPOUSE,
            (role == CHILD) & young,
            role == CHILD,
            role == PARENT,
        ],
        [
            a,
            _band_ages(rng, FLOATING_HEADS, n),
            np.maximum(18, a + rng.integers(-6, 5, n)),
            (r * (np.clip(a - 22, 0, 17) + 1)).astype(np.int32),
            a - rng.integers(24, 35, n),
            np.minimum(101, a + rng.integers(24, 34, n)),
        ],
        (r * (np.clip(a - 48, 0, 20) + 1)).astype(np.int32),
    )
    birth = today - (ages * 365.2425).astype(np.int64) - rng.integers(1, 366, n)

    head_male = rng.random(nh) < 0.6
    male = np.select(
        [role == HEAD, role == SPOUSE], [head_male[p_hh], ~head_male[p_hh]], rng.random(n) < 0.52
    )
    s_weights = SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum()
    s_head, s_spouse = rng.choice(len(SURNAMES), size=(2, nh), p=s_weights)
    father_line = np.where(head_male | (hsize == 1), s_head, s_spouse)[p_hh]
    surname = np.select(
        [role == HEAD, role == SPOUSE, (role == CHILD) | (role == GRANDCHILD), role == PARENT],
        [s_head[p_hh], s_spouse[p_hh], father_line, np.where(male, s_head[p_hh], -1)],
        -1,
    )
    drawn = surname < 0
    surname[drawn] = rng.choice(len(SURNAMES), size=int(drawn.sum()), p=s_weights)
    given = np.where(male[:, None], 0, len(MALE_CHARS)) + rng.integers(0, len(FEMALE_CHARS), (n, 2))
    given[rng.random(n) < np.where(ages > 50, 0.45, 0.2), 1] = -1

    region = _regions(rng, regions, nh, p_hh, pfloat, role, ages, birth)
    moved_in, prev_in, prev, arrival = _dates(rng, today, h, hh, hsize, hfloat, p_hh, birth)

    inflow = np.select(
        [role == HEAD, role == LODGER, role == SPOUSE, (ages >= 16) & (ages < 23)],
        [
            rng.choice(["01", "03", "05", "06", "07"], n, p=[0.72, 0.15, 0.05, 0.04, 0.04]),
            rng.choice(["01", "03", "06"], n, p=[0.85, 0.08, 0.07]),
            rng.choice(["01", "03", "04", "07"], n, p=[0.55, 0.1, 0.3, 0.05]),
            rng.choice(["01", "04", "06"], n, p=[0.5, 0.3, 0.2]),
        ],
        rng.choice(["04", "05", "09"], n, p=[0.85, 0.1, 0.05]),
    )
    residence_type = np.select(
        [dorm[hh][p_hh], rented[hh][p_hh]],
        ["02", "01"],
        np.where(rng.random(n) < 0.7, "05", "04"),
    )
    phone = draw_phones(rng, ages)
    ethnicity = np.where(
        rng.random(n) < 0.95,
        "01",
        rng.choice(["03", "06", "08", "11", "12", "13", "15"], n),
    )
    education = np.select(
        [ages < 18],
        [""],
        rng.choice(["20", "30", "40", "60", "70", "80"], n, p=[0.22, 0.2, 0.12, 0.2, 0.2, 0.06]),
    )
    married = (role == HEAD) & (hsize[p_hh] > 1) & fam | (role == SPOUSE) | (role == PARENT)
    return People(
        house=hh[p_hh].astype(np.int32),
        floating=pfloat,
        male=male,
        birth=birth,
        region=region,
        seq=np.zeros(n, np.int32),
        surname=surname,
        given=given,
        phone=phone,
        card=(ages >= 16) & (rng.random(n) < 0.8),
        ethnicity=ethnicity,
        role=role,
        inflow=inflow,
        arrival=arrival,
        residence_type=residence_type,
        moved_in=moved_in,
        prev_house=prev,
        prev_in=prev_in,
        education=education,
        married=married,
    )


def _household_sizes(
    rng: np.random.Generator, houses: Houses, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Persons per house (0 for vacant), n in all, and which households are floating."""
    h = len(houses.building)
    rented, shop, dorm = houses.rented, houses.shop, houses.dorm
    home = ~rented & ~dorm
    size = np.zeros(h, np.int32)
    size[home] = rng.choice(np.arange(1, 7), size=int(home.sum()), p=OWN_SIZES)
    size[rented] = rng.choice(np.arange(1, 7), size=int(rented.sum()), p=RENT_SIZES)
    size[dorm] = rng.integers(2, 9, size=int(dorm.sum()))
    vacant = rng.random(h) < np.where(shop, 0.7, np.where(rented, 0.03, np.where(dorm, 0, 0.08)))
    size[vacant] = 0
    _fit(rng, size, n)
    floating = rented | dorm
    short = round(n * FLOATING_SHARE) - int(size[floating].sum())
    if short > 0:
        floating[_take(rng, np.flatnonzero(home & (size > 0)), size, short)] = True
    elif short < 0:
        floating[_take(rng, np.flatnonzero(rented & (size > 0)), size, -short)] = False
    return size, floating


def _band_ages(rng: np.random.Generator, bands, n: int) -> np.ndarray:
    """n ages drawn from (low, high, weight) bands, uniform inside a band."""
    low, high, weight = np.array(bands, float).T
    band = rng.choice(len(bands), size=n, p=weight / weight.sum())
    return (low[band] + rng.random(n) * (high[band] - low[band] + 1)).astype(np.int32)


def _fit(rng: np.random.Generator, size: np.ndarray, n: int) -> None:
    """Grow or shrink households until they hold n persons."""
    while (diff := n - int(size.sum())) > 0:
        pool = np.flatnonzero(size > 0)
        pool = pool if len(pool) else np.arange(len(size))
        np.add.at(size, rng.choice(pool, size=diff), 1)
    while (diff := int(size.sum()) - n) > 0:
        pool = np.flatnonzero(size > 1)
        pool = pool if len(pool) else np.flatnonzero(size > 0)
        size[rng.choice(pool, size=min(diff, len(pool)), replace=False)] -= 1


def _take(
    rng: np.random.Generator, candidates: np.ndarray, size: np.ndarray, persons: int
) -> np.ndarray:
    """Random households among candidates holding about `persons` people."""
    shuffled = rng.permutation(candidates)
    return shuffled[: int(np.searchsorted(np.cumsum(size[shuffled]), persons)) + 1]


def _regions(rng, regions: Regions, nh, p_hh, pfloat, role, ages, birth) -> np.ndarray:
    """Where from: floating people from their origin county, residents mostly born locally."""
    n = len(p_hh)
    origin = regions.elsewhere(nh)[p_hh]
    lodgers = pfloat & (role == LODGER)
    origin[lodgers] = regions.elsewhere(int(lodgers.sum()))
    local = np.select([ages < 18, ages < 40], [0.80, 0.45], 0.35)
    city = local + np.select([ages < 18, ages < 40], [0.10, 0.15], 0.15)
    province = city + np.select([ages < 18, ages < 40], [0.03, 0.10], 0.15)
    # Regions.codes begins with the district (0), then the rest of its city, then its old codes.
    in_city = regions.city if len(regions.city) else range(0, 1)
    other = rng.integers(in_city.start, in_city.stop, n)
    if len(regions.old):  # older locals keep a code abolished since (宝安县 until 1992)
        born_by_1991 = birth < date(1992, 1, 1).toordinal()
        old = born_by_1991 & (rng.random(n) < 0.3)
        other[old] = rng.integers(regions.old.start, regions.old.stop, int(old.sum()))
    u = rng.random(n)
    return np.select(
        [pfloat, u < local, u < city, u < province],
        [origin, 0, other, regions.elsewhere(n, home=True)],
        regions.elsewhere(n, home=False),
    ).astype(np.int32)


def _dates(rng, today: int, h: int, hh, hsize, hfloat, p_hh, birth):
    """Per person: moved into the current house, moved into an earlier one (prev_in), that
    earlier house (-1 for none), arrived in the city (0 for residents)."""
    nh = len(hh)
    head_birth = birth[np.cumsum(hsize) - hsize]
    arrival = today - np.minimum(3650, 30 + rng.exponential(1100, nh)).astype(np.int64)
    settled = today - np.minimum(12000, 30 + rng.exponential(3000, nh)).astype(np.int64)
    hh_in = np.where(hfloat, arrival, settled)
    hh_in = np.minimum(today - 1, np.maximum(hh_in, head_birth + 18 * 365))
    came = hh_in  # floating households moved in on arrival (before any later move)
    mover = (rng.random(nh) < 0.15) & (hh_in < today - 60) & (h > 1)
    hh_prev_in = np.where(
        hfloat,
        hh_in,
        hh_in - 365 - rng.exponential(1400, nh).astype(np.int64),
    )
    hh_in = np.where(
        mover & hfloat,
        hh_in + ((today - hh_in) * rng.uniform(0.2, 0.9, nh)).astype(np.int64),
        hh_in,
    )
    moved_in = np.maximum(hh_in[p_hh], birth)
    prev_in = np.maximum(hh_prev_in[p_hh], birth)
    prev = np.where(mover, (hh + rng.integers(1, max(h, 2), nh)) % h, -1)[p_hh]
    prev[prev_in >= moved_in] = -1
    arrival = np.where(hfloat[p_hh], np.maximum(came[p_hh], birth), 0)
    return moved_in, prev_in, prev, arrival
