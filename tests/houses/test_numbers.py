"""House codes of subdivided rooms: every room of one floor gets its own digits."""

from gridgov.houses.numbers import compose_code, room_digits
from tests import factories as f

COMMUNITY = "440303001001"


def test_a_plain_room_and_its_lettered_rooms_on_the_first_floor_get_distinct_codes(client, worker):
    rooms = ["101", "101A", "101B", "A01", "102"]
    results = f.upload(
        client, worker, *[f.envelope("house", f.house_data(room=r, floor=1)) for r in rooms]
    )
    # 101A and A01 name the same room of a subdivided flat, so the second is refused.
    assert [r["outcome"] for r in results] == ["created"] * 3 + ["rejected", "created"], results
    assert results[3]["code"] == "house_code_taken"
    codes = [r["key"][-6:] for r in results if r["outcome"] == "created"]
    assert codes == ["001101", "001201", "001301", "001102"]


def test_the_letters_skip_the_digit_the_plain_rooms_of_the_floor_have():
    assert [room_digits(f"{floor}01", floor) for floor in (1, 3, 10, 12)] == [
        "101",
        "301",
        "001",
        "201",
    ]
    assert [room_digits(f"{floor}01A", floor) for floor in (1, 3, 10, 12)] == [
        "201",
        "101",
        "101",
        "101",
    ]
    # I, the ninth letter, takes 0 on a floor whose plain rooms have a digit from 1 to 9.
    assert room_digits("101I", 1) == "001" and room_digits("1001I", 10) == "901"
    assert room_digits("301C", 3) == "401"


def test_every_room_of_a_subdivided_floor_has_its_own_code():
    for floor in (1, 2, 9, 10, 11):
        plain = [f"{floor}{n:02d}" for n in range(1, 20)]
        lettered = [f"{room}{letter}" for room in plain for letter in "ABCDEFGHI"]
        codes = [compose_code(COMMUNITY, 7, "1", floor, room) for room in plain + lettered]
        assert len(set(codes)) == len(codes), floor
        assert {len(code) for code in codes} == {25}
