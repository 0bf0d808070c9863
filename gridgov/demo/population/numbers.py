"""Numbers people carry: ID numbers (GB 11643) whose order codes follow the highest already
stored, and mobile phone numbers."""

from datetime import date

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from gridgov import idnumber
from gridgov.demo.population.plan import EPOCH, People
from gridgov.demo.population.regions import Regions

MAX_SEQ = 499  # order codes 001-997 (male, odd) and 002-998 (female, even)
PHONE_PREFIXES = np.array(
    [130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158]
    + [159, 166, 173, 176, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 198, 199]
)


def number_people(session: Session, people: People, regions: Regions) -> None:
    """Order codes in sequence per (region, birth date, sex), after those already stored; one
    that would run past 998 moves its birth date a day earlier."""
    base = date(1850, 1, 1).toordinal()
    stored = session.execute(
        text(
            "SELECT left(id_masked, 6), birth_date, substr(id_masked, 15, 3)::int FROM persons "
            "WHERE id_kind = 'mainland' AND id_masked ~ '^[0-9]{6}[*]{8}[0-9]{3}'"
        )
    ).all()
    known = [(regions.index[r], b.toordinal(), o) for r, b, o in stored if r in regions.index]
    if known:
        reg, day, order = np.array(known, np.int64).T
        keys = ((reg << 18 | (day - base)) << 1) | (order % 2)
        following = (order - 1 - (1 - order % 2)) // 2 + 1
        ex_keys, inverse = np.unique(keys, return_inverse=True)
        ex_next = np.zeros(len(ex_keys), np.int64)
        np.maximum.at(ex_next, inverse, following)
    else:
        ex_keys, ex_next = np.zeros(0, np.int64), np.zeros(0, np.int64)
    n = len(people.birth)
    positions = np.arange(n)
    for _ in range(1000):
        keys = ((people.region.astype(np.int64) << 18 | (people.birth - base)) << 1) | people.male
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
        rank = positions - np.maximum.accumulate(np.where(first, positions, 0))
        seq = np.empty(n, np.int64)
        seq[order] = rank
        at = np.minimum(np.searchsorted(ex_keys, keys), max(len(ex_keys) - 1, 0))
        if len(ex_keys):
            seq += np.where(ex_keys[at] == keys, ex_next[at], 0)
        full = seq >= MAX_SEQ
        if not full.any():
            people.seq = seq.astype(np.int32)
            return
        people.birth[full] -= 1
    raise RuntimeError("no free ID order codes left near these birth dates")


def id_numbers(people: People, regions: Regions, idx: np.ndarray) -> list[str]:
    """The 18-character ID numbers of people idx."""
    days = (people.birth[idx] - EPOCH).astype("datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    order = 2 * people.seq[idx].astype(np.int64) + np.where(people.male[idx], 1, 2)
    region = people.region[idx]
    w = idnumber.WEIGHTS
    total = regions.weighted[region].astype(np.int64)
    for value, weights in ((year, w[6:10]), (month, w[10:12]), (day, w[12:14]), (order, w[14:])):
        for i, weight in enumerate(weights):
            total += (value // 10 ** (len(weights) - 1 - i) % 10) * weight
    check = total % 11
    codes = regions.codes
    return [
        f"{codes[r]}{y:04d}{m:02d}{d:02d}{o:03d}{idnumber.CHECK[c]}"
        for r, y, m, d, o, c in zip(
            region.tolist(),
            year.tolist(),
            month.tolist(),
            day.tolist(),
            order.tolist(),
            check.tolist(),
            strict=True,
        )
    ]


def draw_phones(rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
    """Mobile numbers as int64, 0 for none (young children, some of the very old)."""
    n = len(ages)
    return np.where(
        (ages >= 12) & (rng.random(n) < np.where(ages >= 80, 0.7, 0.97)),
        rng.choice(PHONE_PREFIXES, n).astype(np.int64) * 10**8 + rng.integers(0, 10**8, n),
        0,
    )
