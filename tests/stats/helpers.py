"""Uploads that build a small population in the synthetic district, and an independent recount
in Python from the stored records (the SQL recount of the service is checked against it)."""

from collections import Counter
from datetime import date

from sqlalchemy import select

from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people.models import Person
from tests import factories as f

DISTRICT_STAFF = "district_staff"


def cell_point(cell: str, k: int = 0) -> tuple[float, float]:
    """A point inside one of the eight cells of the synthetic district, varied by k."""
    west, east = f.COMMUNITIES[cell[:12]]
    north = cell.endswith("001")
    lon = west + 0.001 + (k % 7) * 0.001
    lat = (f.MID if north else f.SOUTH) + 0.001 + (k % 5) * 0.001
    return round(lon, 6), round(lat, 6)


def add_house(client, headers, cell: str, room: str, rented=False) -> str:
    point = cell_point(cell, int(room))
    data = f.house_data(room=room, point=point, rented=rented)
    if rented:
        data["rental"] = f.rental_data()
    [result] = f.upload(client, headers, f.envelope("house", data, position=point))
    assert result["outcome"] == "created", result
    return result["key"]


def add_person(client, headers, seq: int, house: str, kind="floating", **overrides) -> dict:
    data = f.person_data(seq, house, kind=kind, **overrides)
    [result] = f.upload(client, headers, f.envelope("person", data, position=None))
    assert result["outcome"] == "created", result
    return result


def move(client, headers, seq: int, house: str, moved_in: str | None = None) -> dict:
    """Person number seq (at version 1) moves into another house."""
    data = {"id_number": f.id_number(seq), "house_code": house}
    if moved_in:
        data["moved_in"] = moved_in
    [result] = f.upload(
        client, headers, f.envelope("person", data, op="move", base_version=1, position=None)
    )
    return result


def python_recount(prefix: str, today: date) -> Counter:
    """A few measures counted the plain way, from the ORM rows."""
    people = db.session.scalars(
        select(Person).where(Person.deleted_at.is_(None), Person.grid_code.like(prefix + "%"))
    ).all()
    houses = db.session.scalars(
        select(House).where(House.deleted_at.is_(None), House.grid_code.like(prefix + "%"))
    ).all()
    living = Counter(p.house_id for p in people)
    out = Counter()
    out["population"] = len(people)
    out["floating"] = sum(p.kind == "floating" for p in people)
    out["residents"] = sum(p.kind == "resident" for p in people)
    out["houses"] = len(houses)
    out["vacant"] = sum(living[h.id] == 0 for h in houses)
    out["rentals"] = sum(h.rented for h in houses)
    out["tenants"] = sum(living[h.id] for h in houses if h.rented)
    out["households"] = out["houses"] - out["vacant"]
    for p in people:
        if p.kind == "floating":
            out[f"floating_by_province.{p.origin_code[:2]}"] += 1
            out[f"floating_by_reason.{p.inflow_reason}"] += 1
        months = (today.year - p.birth_date.year) * 12 + today.month - p.birth_date.month
        age = months // 12
        bands = ((6, "0-5"), (18, "6-17"), (60, "18-59"), (80, "60-79"), (999, "80+"))
        band = next(name for top, name in bands if age < top)
        out[f"age_bands.{band}"] += 1
    return out
