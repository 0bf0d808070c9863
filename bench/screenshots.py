"""Screenshots of the console for the README, taken with Debian's Chromium: the map, a 楼盘表
and a conflict's field-by-field diff. Writes docs/console/*.png.

Against a demo database only (make run's): to have a conflict to show, it uploads one synthetic
person (a made-up ID number) and two edits of it from the same old version, as district staff.

    DATABASE_URL=... .venv/bin/python -m bench.screenshots
"""

import json
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

from gridgov.people.idnumber import check_character
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from bench import browser as b
from bench.common import ROOT, login
from gridgov.extensions import db
from gridgov.houses.models import House

OUT = ROOT / "docs" / "console"


def upload(token: str, data: dict, base_version=None) -> dict:
    record = {
        "uuid": str(uuid.uuid4()),
        "type": "person",
        "op": "upsert",
        "captured_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "data": data,
    }
    if base_version is not None:
        record["base_version"] = base_version
    body = json.dumps({"device_id": "screenshots", "records": [record]}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{b.PORT}/api/v1/sync/upload",
        body,
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    return json.load(urllib.request.urlopen(request, timeout=60))["results"][0]


def make_conflict(app, token: str) -> None:
    with app.app_context():
        house = db.session.scalar(
            select(House.code).where(House.grid_code.like(b.STREET[:9] + "%")).limit(1)
        )
    first17 = "44030319880808" + f"{uuid.uuid4().int % 1000:03d}"
    person = {
        "id_number": first17 + check_character(first17),
        "capture_method": "card_reader",
        "name": "李文静",
        "sex": "2",
        "ethnicity": "01",
        "phone": "13912345678",
        "kind": "floating",
        "house_code": house,
        "floating": {
            "inflow_reason": "01",
            "arrival_date": "2026-03-01",
            "origin_code": "430302",
            "residence_type": "01",
        },
    }
    outcomes = [upload(token, person)]
    outcomes.append(upload(token, {**person, "name": "李雯静", "ethnicity": "02"}, 1))
    outcomes.append(upload(token, {**person, "name": "李文婧", "phone": "13800001111"}, 1))
    if [o["outcome"] for o in outcomes] != ["created", "updated", "conflict"]:
        raise SystemExit(f"could not make a conflict to show: {outcomes}")


def main() -> int:
    app, password = b.prepare()
    building, rooms = b.building_of(app)
    OUT.mkdir(parents=True, exist_ok=True)
    server = b.start_server()
    try:
        make_conflict(app, login(b.PORT, "bench_district", password))
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=b.CHROMIUM, args=["--no-sandbox"])
            page = chromium.new_context(viewport={"width": 1400, "height": 820}).new_page()
            page.set_default_timeout(60_000)
            b.log_in(page, password)
            page.wait_for_function(b.MAP_COLOURED, arg=100)
            page.mouse.click(700, 400)
            page.wait_for_selector("[data-test=area-stats] h3")
            page.wait_for_function("() => window.gridgovMap.loaded()")
            page.screenshot(path=OUT / "map.png")
            page.goto(b.url(f"buildings/{building}"))
            page.wait_for_selector("[data-test=emap] .room")
            page.screenshot(path=OUT / "building.png")
            page.goto(b.url("conflicts"))
            page.wait_for_selector("[data-test=diff]")
            page.screenshot(path=OUT / "conflicts.png")
            chromium.close()
    finally:
        server.terminate()
        server.wait(10)
    print(f"screenshots in {OUT} (building {building}, {rooms} rooms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
