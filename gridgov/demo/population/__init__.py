"""A synthetic population for the demo district (flask demo generate): houses in compounds of
buildings, registered residents and floating population living in households, rentals, and dated
residences with earlier moves, so that statistics as of a past date differ from today's.

Fast enough for millions of persons: the plan is drawn with numpy, personal numbers are sealed
and indexed in one tight loop, and rows go in with COPY, one ordinary statement per chunk (the
statistics triggers see each chunk as one statement). Persons commit together with their
residences, so an interrupted run leaves no one without a home.

Everything is made up but valid: names, phones and ID numbers (GB 11643, with real GB/T 2260
region codes). ID numbers never repeat, across runs too: the 3-digit order code runs in sequence
for each region, birth date and sex, after the highest one already stored (id_masked shows region
and order code, birth_date the rest), so a second run adds people.

The modules, in the order a run uses them: district (what must be loaded first), regions and
names (what is drawn from), houses and households (the plan, held as in plan), numbers (ID and
phone numbers), rows and write (into the database).
"""

import time
from collections.abc import Callable

import numpy as np
from sqlalchemy.orm import Session

from gridgov.audit.service import record
from gridgov.clock import district_today
from gridgov.crypto import Vault
from gridgov.demo.population.district import check_codes, grid_cells
from gridgov.demo.population.households import plan_people
from gridgov.demo.population.houses import choose_owners, place_buildings, plan_houses
from gridgov.demo.population.numbers import number_people
from gridgov.demo.population.place import district_of
from gridgov.demo.population.plan import Plan
from gridgov.demo.population.regions import Regions
from gridgov.demo.population.write import store

PERSONS_PER_HOUSE = 3


def generate(
    session: Session,
    vault: Vault,
    persons: int,
    seed: int | None = None,
    progress: Callable[[str], None] = print,
    district: str | None = None,
) -> dict:
    """Add about `persons` people (and persons/3 houses) to a district's grid cells in force
    (the only one loaded unless named), born in and come from places around it, living in
    compounds named after its streets and communities. `session` is the app's session (the
    audit row goes through it); returns the totals."""
    started = time.monotonic()
    seed = int(np.random.SeedSequence(seed).entropy % 2**31) if seed is None else seed
    rng = np.random.default_rng(seed)
    today = district_today().toordinal()
    check_codes(session)
    place = district_of(session, district)
    cells = grid_cells(session, place.county)
    regions = Regions(rng, place.county)
    n_houses = max(1, round(persons / PERSONS_PER_HOUSE))
    houses = plan_houses(rng, session, cells, n_houses, place)
    people = plan_people(rng, houses, persons, today, regions)
    number_people(session, people, regions)
    choose_owners(rng, houses, people, today)
    progress(f"planned {persons:,} persons in {n_houses:,} houses (seed {seed})")
    place_buildings(rng, session, cells, houses)
    plan = Plan(
        cells=cells, regions=regions, houses=houses, people=people, today=today, place=place
    )
    rentals, closed = store(session, vault, plan, rng, progress)
    elapsed = time.monotonic() - started
    result = {
        "district": place.code,
        "seed": seed,
        "houses": n_houses,
        "buildings": len(houses.b_compound),
        "rentals": rentals,
        "persons": persons,
        "floating": int(people.floating.sum()),
        "residences": persons + closed,
        "closed_residences": closed,
        "seconds": round(elapsed, 1),
    }
    record("generate_demo_population", "area", place.code, after=result)
    session.commit()
    progress(f"done in {elapsed:.1f} s ({persons / elapsed:,.0f} persons/s)")
    return result
