"""The plan held in memory before anything is written. Arrays run parallel (one entry per grid
cell, building, house or person) and refer to each other by index; dates are date ordinals."""

from dataclasses import dataclass
from datetime import date

import numpy as np

from gridgov.demo.population.place import District
from gridgov.demo.population.regions import Regions

# numpy's datetime64 counts days from here; subtract it from an ordinal to convert.
EPOCH = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class BuildingType:
    name: str
    floors: tuple[int, int]
    units: tuple[int, int]
    rooms: tuple[int, int]  # per floor and unit
    buildings: tuple[int, int]  # per compound
    structures: tuple[str, ...]
    area: tuple[float, float]
    rented: float  # share of its houses that are let


VILLAGE, WALKUP, TOWER, DORM = range(4)
TYPES = (
    BuildingType("城中村", (5, 9), (1, 1), (2, 4), (6, 30), ("03", "03", "02"), (22, 60), 0.45),
    BuildingType("多层", (6, 8), (2, 3), (2, 2), (4, 12), ("03",), (55, 105), 0.18),
    BuildingType("高层", (18, 33), (1, 2), (4, 8), (2, 8), ("02", "02", "01"), (45, 140), 0.17),
    BuildingType("宿舍", (4, 6), (1, 1), (8, 12), (1, 3), ("02",), (15, 30), 0.0),
)
# Roles in a household, for ages, surnames and the relationship code.
HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD, LODGER = range(6)


@dataclass
class Cells:
    codes: list[str]
    communities: list[str]
    dedicated: np.ndarray
    area: np.ndarray


@dataclass
class Houses:
    # per building
    b_cell: np.ndarray
    b_type: np.ndarray
    b_compound: list[str]
    b_label: list[str]
    b_number: np.ndarray
    b_point: list[str]
    # per house
    building: np.ndarray
    unit: np.ndarray
    floor: np.ndarray
    room: np.ndarray
    use: list[str]
    structure: list[str]
    area: np.ndarray
    rented: np.ndarray
    shop: np.ndarray
    dorm: np.ndarray
    owner: np.ndarray  # person index or -1
    ids: np.ndarray  # database ids, once written


@dataclass
class People:
    house: np.ndarray
    floating: np.ndarray
    male: np.ndarray
    birth: np.ndarray
    region: np.ndarray  # index into Regions.codes
    seq: np.ndarray  # order code = 2 seq + 1 (male) or 2 seq + 2
    surname: np.ndarray
    given: np.ndarray  # (n, 2) indexes into GIVEN, -1 for none
    phone: np.ndarray  # int64, 0 for none
    card: np.ndarray
    ethnicity: np.ndarray
    role: np.ndarray
    inflow: np.ndarray
    arrival: np.ndarray
    residence_type: np.ndarray
    moved_in: np.ndarray
    prev_house: np.ndarray  # -1 for none
    prev_in: np.ndarray
    education: np.ndarray
    married: np.ndarray


@dataclass
class Plan:
    cells: Cells
    regions: Regions
    houses: Houses
    people: People
    today: int
    place: District
