"""A device's first sync: its cells, the code tables, its houses and people, paged, with the
cursor the change feed continues from."""

from tests import factories as f


def test_the_first_sync_pages_through_cells_codes_houses_and_people(client, worker, house):
    [person] = f.upload(client, worker, f.envelope("person", f.person_data(7, house)))
    [other] = f.upload(client, worker, f.envelope("house", f.house_data(room="102")))
    first = client.get("/api/v1/sync/initial?limit=1", headers=worker).json
    assert [c["id"] for c in first["cells"]] == [f.OWN_CELL]
    assert first["codes"]["sex"]["1"] and "house_use" in first["codes"]
    assert [h["code"] for h in first["houses"]] == [house]
    pages, token = [first], first["next"]
    while token:
        page = client.get(f"/api/v1/sync/initial?limit=1&page={token}", headers=worker).json
        assert page["cells"] == [] and page["cursor"] == first["cursor"]
        pages.append(page)
        token = page["next"]
    assert [h["code"] for p in pages for h in p["houses"]] == [house, other["key"]]
    served = [p_ for p in pages for p_ in p["persons"]]
    assert [p_["id"] for p_ in served] == [int(person["key"])]
    assert served[0]["id_number"] != f.id_number(7)  # masked
    feed = client.get(f"/api/v1/sync/changes?cursor={first['cursor']}", headers=worker)
    assert feed.status_code == 200


def test_the_first_sync_holds_only_my_cells(client, worker, house):
    staff = f.auth_as(client, "street_staff", ["440303001000"], username="desk")
    f.upload(client, staff, f.envelope("house", f.house_data(point=f.NEIGHBOUR_POINT)))
    mine = client.get("/api/v1/sync/initial", headers=worker).json
    assert [h["code"] for h in mine["houses"]] == [house]
    assert all(c["id"] == f.OWN_CELL for c in mine["cells"])


def test_a_page_token_the_server_did_not_give_is_refused(client, worker):
    response = client.get("/api/v1/sync/initial?page=nonsense", headers=worker)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "page"


def test_no_page_holds_more_houses_and_people_than_its_limit(client, worker, house):
    f.upload(client, worker, f.envelope("house", f.house_data(room="102")))
    for n in (7, 8):
        f.upload(client, worker, f.envelope("person", f.person_data(n, house)))
    first = client.get("/api/v1/sync/initial?limit=3", headers=worker).json
    assert (len(first["houses"]), len(first["persons"])) == (2, 1)
    second = client.get(f"/api/v1/sync/initial?limit=3&page={first['next']}", headers=worker).json
    assert (len(second["houses"]), len(second["persons"]), second["next"]) == (0, 1, None)


def test_the_first_sync_shows_each_person_as_their_own_page_shows_them(client, worker, house):
    quoted = 'A "Li"\\ 阿依古丽·买买提'  # quotes, a backslash and text beyond Latin
    resident = f.person_data(8, house, kind="resident")
    del resident["phone"]
    records = [f.person_data(7, house, name=quoted), resident]
    keys = [
        int(r["key"]) for r in f.upload(client, worker, *(f.envelope("person", r) for r in records))
    ]
    served = client.get("/api/v1/sync/initial", headers=worker).json["persons"]
    own = [client.get(f"/api/v1/persons/{k}", headers=worker).json for k in keys]
    assert served == own
    assert served[0]["name"] == quoted and served[0]["details"]["floating"]["residence_type"]
    assert served[0]["arrival_date"] == "2026-03-01" and served[1]["phone"] is None
