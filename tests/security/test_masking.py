"""No masked view or export can be completed from its other fields.

The rule (README, "Masking"): a masked ID number shows the region (6 digits) and the last four
(order code and check digit) and hides the birth date; beside it a view shows the birth year,
never the date. Even knowing the year, sex and check digit, about thirty numbers fit."""

import csv
import io
import re
from datetime import date, timedelta

import pytest

from tests import factories as f

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
BORN = "19330301"  # the outside test's example: 110101********9114 beside 1933-03-01


def check_digit(first17: str) -> str:
    """GB 11643's ISO 7064 MOD 11-2, written here from the standard, not taken from the app."""
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def completions(masked: str, year: int, sex: str) -> list[str]:
    """Every valid number that fits the masked one, the birth year and the sex."""
    head, tail = masked[:6], masked[-4:]
    assert masked[6:14] == "*" * 8, masked
    fits, day = [], date(year, 1, 1)
    while day.year == year:
        number = head + day.strftime("%Y%m%d") + tail
        odd = int(number[16]) % 2 == 1
        if check_digit(number[:17]) == number[17] and odd == (sex == "1"):
            fits.append(number)
        day += timedelta(days=1)
    return fits


def date_forms(born: str) -> list[str]:
    y, m, d = born[:4], born[4:6], born[6:]
    return [
        born,
        f"{y}-{m}-{d}",
        f"{y}/{m}/{d}",
        f"{y}年{int(m)}月{int(d)}日",
    ]


@pytest.fixture
def person(client, worker):
    staff = f.auth_as(client, "street_staff", ["440303001000"])
    [house] = f.upload(client, staff, f.envelope("house", f.house_data()))
    number = f.id_number(7, birth=BORN)
    [registered] = f.upload(
        client, staff, f.envelope("person", f.person_data(7, house["key"], id_number=number))
    )
    assert registered["outcome"] == "created"
    found = client.post("/api/v1/persons/lookup", json={"id_number": number}, headers=staff)
    return staff, found.json["id"], number


def assert_not_completable(row: dict, number: str) -> None:
    text = " ".join(str(v) for v in row.values() if v is not None)
    assert number not in text
    for form in date_forms(number[6:14]):
        assert form not in text, f"the birth date {form!r} is beside the masked number"
    masked = next(str(v) for v in row.values() if re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", str(v)))
    assert len(completions(masked, int(number[6:10]), _sex(number))) >= 10


def _sex(number: str) -> str:
    return "1" if int(number[16]) % 2 else "2"


def test_the_completion_oracle_finds_the_true_number_among_about_thirty():
    number = f.id_number(7, birth=BORN)
    masked = number[:6] + "*" * 8 + number[-4:]
    fits = completions(masked, 1933, _sex(number))
    assert number in fits and 20 <= len(fits) <= 45


def test_a_person_view_shows_the_birth_year_and_cannot_be_completed(client, person):
    staff, person_id, number = person
    view = client.get(f"/api/v1/persons/{person_id}", headers=staff).json
    assert view["birth_year"] == 1933 and "birth_date" not in view
    assert_not_completable(view, number)
    flat = {**view, **{f"details.{k}": v for k, v in (view.get("details") or {}).items()}}
    assert_not_completable(flat, number)


def test_the_list_and_the_look_up_cannot_be_completed(client, person):
    staff, _, number = person
    listed = client.get("/api/v1/persons?area=440303001000", headers=staff).json["persons"]
    found = client.post("/api/v1/persons/lookup", json={"id_number": number}, headers=staff).json
    for view in (*listed, found):
        assert_not_completable(view, number)


def test_no_row_of_a_person_export_can_be_completed(client, person):
    staff, _, number = person
    response = client.get("/api/v1/exports/persons?area=440303001000&format=csv", headers=staff)
    assert response.status_code == 200, response.data[:300]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert_not_completable(rows[0], number)
