"""The plan as COPY text rows: houses with their rentals, persons with their residences. Personal
numbers are sealed and indexed here, in one tight loop per chunk."""

from datetime import date

import numpy as np

from gridgov import idnumber
from gridgov.crypto import Vault, mask_phone
from gridgov.demo.population.district import USED_CODES
from gridgov.demo.population.names import full_names
from gridgov.demo.population.numbers import id_numbers
from gridgov.demo.population.plan import (
    EPOCH,
    GRANDCHILD,
    HEAD,
    LODGER,
    PARENT,
    SPOUSE,
    VILLAGE,
    Plan,
)
from gridgov.houses.numbers import compose_code

HOUSE_COLUMNS = (
    "id, code, community_code, grid_code, compound, building, unit, floor, room, use, structure, "
    "floor_area, owner_name, owner_id_sealed, owner_id_index, owner_id_masked, rented, geom"
)
RENTAL_COLUMNS = (
    "house_id, landlord_name, landlord_id_sealed, landlord_id_index, landlord_id_masked, "
    "landlord_phone_sealed, landlord_phone_masked, landlord_address, rental_use, rented_area, "
    "hazards, registered_on"
)
PERSON_COLUMNS = (
    "id, id_index, id_sealed, id_masked, id_kind, capture_method, name, sex, birth_date, "
    "ethnicity, phone_sealed, phone_index, phone_masked, kind, origin_code, inflow_reason, "
    "arrival_date, details, house_id, grid_code"
)
RESIDENCE_COLUMNS = "person_id, house_id, moved_in, moved_out"
NULL = "\\N"
BYTEA = "\\\\x"  # bytea's \x prefix, its backslash escaped for COPY
RELATIONSHIP = {HEAD: "02", SPOUSE: "10", PARENT: "50", GRANDCHILD: "40", LODGER: "99"}


def house_rows(
    plan: Plan, vault: Vault, rng: np.random.Generator, a: int, b: int, ids: np.ndarray
) -> tuple[list[str], list[str]]:
    """Rows for houses a to b (to get database ids `ids`) and for those of them let out."""
    hs, people, cells, today = plan.houses, plan.people, plan.cells, plan.today
    hs.ids[a:b] = ids  # persons refer to them
    idx = np.arange(a, b)
    owner = hs.owner[idx]
    known = owner >= 0
    owners = np.unique(owner[known])
    numbers = dict(zip(owners.tolist(), id_numbers(people, plan.regions, owners), strict=True))
    names = dict(zip(owners.tolist(), full_names(people, owners), strict=True))
    n = b - a
    hazard_count = np.where(
        rng.random(n) < np.where(hs.b_type[hs.building[idx]] == VILLAGE, 0.3, 0.08),
        rng.integers(1, 3, n),
        0,
    )
    hazard_pick = rng.choice(sorted(USED_CODES["hazard"]), size=(n, 2))
    registered = today - rng.integers(0, 5 * 365, n)
    share = rng.uniform(0.7, 1.0, n)
    staff = rng.random(n) < 0.05  # let as staff quarters
    house_lines, rental_lines = [], []
    for i, j in enumerate(idx.tolist()):
        bi = int(hs.building[j])
        cell = int(hs.b_cell[bi])
        community = cells.communities[cell]
        floor = int(hs.floor[j])
        room = f"{floor}{int(hs.room[j]):02d}"
        unit = str(int(hs.unit[j]))
        code = compose_code(community, int(hs.b_number[bi]), unit, floor, room)
        house_id = int(hs.ids[j])
        who = int(owner[i])
        if who >= 0:
            number = numbers[who]
            o_name = names[who]
            o_sealed = BYTEA + vault.seal(number, "house.owner_id_number").hex()
            o_index = BYTEA + vault.index(number, "id_number").hex()
            o_masked = idnumber.mask(number)
        else:
            o_name = o_sealed = o_index = o_masked = NULL
        area = float(hs.area[j])
        rented = bool(hs.rented[j])
        house_lines.append(
            f"{house_id}\t{code}\t{community}\t{cells.codes[cell]}\t"
            f"{hs.b_compound[bi]}\t{hs.b_label[bi]}\t{unit}\t{floor}\t{room}\t{hs.use[j]}\t"
            f"{hs.structure[j]}\t{area:.2f}\t{o_name}\t{o_sealed}\t{o_index}\t{o_masked}\t"
            f"{'t' if rented else 'f'}\t{hs.b_point[bi]}\n"
        )
        if not rented or who < 0:
            continue
        phone = int(people.phone[who])
        if phone:
            p_sealed = BYTEA + vault.seal(str(phone), "rental.landlord_phone").hex()
            p_masked = mask_phone(str(phone))
        else:
            p_sealed = p_masked = NULL
        home = int(people.house[who])
        hb = int(hs.building[home])
        address = (
            f"{plan.place.address}{hs.b_compound[hb]}{hs.b_label[hb]}{int(hs.unit[home])}单元"
            f"{int(hs.floor[home])}{int(hs.room[home]):02d}室"
        )
        use = "02" if hs.shop[j] else ("06" if staff[i] else "01")
        hazards = ",".join(sorted(set(hazard_pick[i, : hazard_count[i]].tolist())))
        landlord = BYTEA + vault.seal(number, "rental.landlord_id_number").hex()
        rental_lines.append(
            f"{house_id}\t{o_name}\t{landlord}\t"
            f"{o_index}\t{o_masked}\t{p_sealed}\t{p_masked}\t{address}\t{use}\t"
            f"{area * share[i]:.2f}\t{{{hazards}}}\t"
            f"{date.fromordinal(int(registered[i])).isoformat()}\n"
        )
    return house_lines, rental_lines


def person_rows(
    plan: Plan, vault: Vault, a: int, b: int, ids: np.ndarray
) -> tuple[list[str], list[str]]:
    """Rows for persons a to b (to get database ids `ids`) and for their residences, an earlier
    closed one first where they moved."""
    p, hs, cells, regions = plan.people, plan.houses, plan.cells, plan.regions
    idx = np.arange(a, b)
    numbers = id_numbers(p, regions, idx)
    names = full_names(p, idx)
    birth = _iso(p.birth[idx])
    moved_in = _iso(p.moved_in[idx])
    prev_in = _iso(p.prev_in[idx])
    arrival = _iso(np.where(p.floating[idx], p.arrival[idx], EPOCH))
    house = p.house[idx]
    house_ids = hs.ids[house].tolist()
    grids = [cells.codes[c] for c in hs.b_cell[hs.building[house]].tolist()]
    prev = p.prev_house[idx]
    prev_ids = np.where(prev >= 0, hs.ids[np.maximum(prev, 0)], -1).tolist()
    details = {}
    seal, index, mask = vault.seal, vault.index, idnumber.mask
    person_lines, residence_lines = [], []
    male, card, phone = p.male[idx].tolist(), p.card[idx].tolist(), p.phone[idx].tolist()
    floating, region, role = p.floating[idx].tolist(), p.region[idx], p.role[idx].tolist()
    origin = [regions.codes[r] for r in region.tolist()]
    inflow, ethnicity = p.inflow[idx].tolist(), p.ethnicity[idx].tolist()
    # The details JSON depends on a few attributes only: made once per combination.
    keys = zip(
        floating,
        role,
        male,
        p.residence_type[idx].tolist(),
        p.education[idx].tolist(),
        p.married[idx].tolist(),
        (plan.today - p.arrival[idx] > 183).tolist(),
        strict=True,
    )
    for i, (pid, number, key) in enumerate(zip(ids.tolist(), numbers, keys, strict=True)):
        detail = details.get(key)
        if detail is None:
            detail = details[key] = _details(*key)
        if phone[i]:
            phone_s = str(phone[i])
            phone_cols = (
                f"{BYTEA}{seal(phone_s, 'person.phone').hex()}\t"
                f"{BYTEA}{index(phone_s, 'phone').hex()}\t{mask_phone(phone_s)}"
            )
        else:
            phone_cols = f"{NULL}\t{NULL}\t{NULL}"
        if floating[i]:
            tail = f"floating\t{origin[i]}\t{inflow[i]}\t{arrival[i]}"
        else:
            tail = f"resident\t{NULL}\t{NULL}\t{NULL}"
        person_lines.append(
            f"{pid}\t{BYTEA}{index(number, 'id_number').hex()}\t"
            f"{BYTEA}{seal(number, 'person.id_number').hex()}\t{mask(number)}\tmainland\t"
            f"{'card_reader' if card[i] else 'typed'}\t{names[i]}\t{'1' if male[i] else '2'}\t"
            f"{birth[i]}\t{ethnicity[i]}\t{phone_cols}\t{tail}\t{detail}\t{house_ids[i]}\t"
            f"{grids[i]}\n"
        )
        if prev_ids[i] >= 0:
            residence_lines.append(f"{pid}\t{prev_ids[i]}\t{prev_in[i]}\t{moved_in[i]}\n")
        residence_lines.append(f"{pid}\t{house_ids[i]}\t{moved_in[i]}\t{NULL}\n")
    return person_lines, residence_lines


def _iso(ordinals: np.ndarray) -> list[str]:
    return np.datetime_as_string((ordinals - EPOCH).astype("datetime64[D]")).tolist()


def _details(floating, role, male, rtype, edu, married, long_stay) -> str:
    """The details JSON (as an upload stores it) for one combination of attributes."""
    parts = []
    if edu:
        parts.append(f'"education": "{edu}"')
        parts.append(f'"marital_status": "{"20" if married else "10"}"')
    if floating:
        cert = "02" if long_stay else "01"
        parts.append(
            f'"floating": {{"residence_type": "{rtype}", "certificate_type": "{cert}", '
            f'"intended_stay": "{"5" if long_stay else "4"}"}}'
        )
    else:
        relationship = RELATIONSHIP.get(role) or ("20" if male else "30")
        parts.append(f'"resident": {{"relationship": "{relationship}"}}')
    return "{" + ", ".join(parts) + "}"
