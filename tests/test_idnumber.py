"""ID number rules, exercised with every public test vector (geodata has the region list)."""

import csv
import hashlib
import re
from datetime import date
from pathlib import Path

import pytest

from gridgov import idnumber

VECTORS = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "id_numbers"
    / "gb11643_id_test_vectors.csv"
)
BUNDLED = Path(__file__).resolve().parent / "data" / "gb11643_id_test_vectors.csv"
TODAY = date(2026, 11, 22)

# Where our rules and a source library disagree, on purpose. A number's region is the
# registration place when it was issued, which can be later than birth (late registration, the
# 1999 upgrade), so we accept any code GB/T 2260 ever had, as domain.md says, and do not reject
# a code that began after the birth year or ended before it.
OURS = {
    "110111198012010078": "valid",  # stdnum: county not registered yet in the birth year
    "500154199301135886": "valid",  # id-validator: code created 2016, born 1993
    "111111111111111": "invalid",  # hutool quirk; region 111111 never existed
    "33010219200403064x": "valid",  # lower-case x is normalised
}


# What the bundled copy of the shared vectors is, byte for byte (its SHA-256 when copied): the
# project never reads ../shared, so the copy is checked on its own, and against the shared file
# where that is present.
BUNDLED_SHA256 = "cb9f5f8479123b7547f41a04c50d984221036770d2e36cdbc0777edd82208302"


def rows() -> list[dict]:
    with BUNDLED.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def vectors():
    for row in rows():
        expected = OURS.get(row["id_number"], row["expected_by_source"])
        yield pytest.param(row, expected, id=row["id_number"])


def test_the_bundled_vectors_are_the_shared_ones():
    data = BUNDLED.read_bytes()
    assert hashlib.sha256(data).hexdigest() == BUNDLED_SHA256
    assert len(rows()) == 44
    if VECTORS.exists():
        assert VECTORS.read_bytes() == data


def stated(note: str) -> tuple[date | None, str | None]:
    """The birth date and sex a vector's note states, if it does ('1949-12-31 female',
    'born 19781216, male')."""
    found = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", note) or re.search(
        r"\bborn (\d{4})(\d{2})(\d{2})\b", note
    )
    born = date(*map(int, found.groups())) if found else None
    sex = re.search(r"\b(male|female)\b", note)
    return born, {"male": "1", "female": "2"}[sex.group(1)] if sex else None


@pytest.mark.parametrize("row, expected", list(vectors()))
def test_every_public_vector(row, expected):
    number, note = row["id_number"], row["note"]
    if expected != "valid":
        with pytest.raises(idnumber.IdNumberError):
            idnumber.parse(number, TODAY)
        return
    parsed = idnumber.parse(number, TODAY)
    if len(number) == 18:
        assert row["mod11_2_check_digit_ok"] == "yes"  # the source's own verdict on its check digit
        assert parsed.number == number.upper()
    upgrade = re.search(r"upgrades to (\w{18})", note)
    if upgrade:
        assert parsed.number == upgrade.group(1)
    older = re.search(r"upgrade of (\d{15})", note)
    if older:
        assert idnumber.parse(older.group(1), TODAY).number == parsed.number
    born, sex = stated(note)
    if born:
        assert parsed.birth_date == born
    if sex:
        assert parsed.sex == sex


def test_the_vectors_notes_state_dates_sexes_and_upgrades():
    """So that the checks above, which use them where given, have something to check."""
    notes = [row["note"] for row in rows() if row["expected_by_source"] == "valid"]
    assert sum(stated(n)[0] is not None for n in notes) == 5
    assert sum(stated(n)[1] is not None for n in notes) == 4
    assert sum(bool(re.search(r"upgrade", n)) for n in notes) == 3


def test_the_annex_example_gives_birth_date_and_sex():
    parsed = idnumber.parse("11010519491231002X", TODAY)
    assert (parsed.kind, parsed.birth_date, parsed.sex) == ("mainland", date(1949, 12, 31), "2")


def test_a_15_digit_number_upgrades_to_18():
    parsed = idnumber.parse("150102880730303", TODAY)
    assert parsed.number == "150102198807303035"
    assert parsed.upgraded_from == "150102880730303"
    assert parsed.sex == "1"


def test_full_width_digits_and_lower_case_x_are_normalised():
    assert (
        idnumber.parse("３３０１０２１９２００４０３０６４ｘ", TODAY).number == "33010219200403064X"
    )


@pytest.mark.parametrize(
    "number, kind",
    [
        ("81000019980902013X", "hong_kong"),
        ("820000200009100032", "macao"),
        ("830000200209060065", "taiwan"),
        ("932682198501010017", "foreign_permanent"),
    ],
)
def test_permits_are_recognised(number, kind):
    assert idnumber.parse(number, TODAY).kind == kind


@pytest.mark.parametrize(
    "number, rule",
    [
        ("44030819990110", "length"),
        ("3301022011022000D6", "characters"),
        ("440308199901101513", "check_digit"),
        ("990426199112010074", "region"),
        ("360426199113010079", "birth_date"),
    ],
)
def test_each_rule_is_named(number, rule):
    with pytest.raises(idnumber.IdNumberError) as caught:
        idnumber.parse(number, TODAY)
    assert caught.value.rule == rule


def test_a_birth_date_in_the_future_is_rejected():
    first17 = "44030820300101151"
    with pytest.raises(idnumber.IdNumberError, match="in the future"):
        idnumber.parse(first17 + idnumber.check_character(first17), TODAY)


def test_masking_keeps_region_and_last_four():
    assert idnumber.mask("11010519491231002X") == "110105********002X"
