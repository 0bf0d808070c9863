"""Device simulator: N grid workers upload mixed batches (new houses, new people, edits, moves,
deletes) through gunicorn while connections drop at random, retry until they get an answer, and
at the end the database must hold exactly what the devices meant to send.

Two kinds of drop: the device closes the socket before reading the answer (the server may have
committed: the retry must replay, not duplicate), or it sends half the body and hangs up (nothing
may be written). Run with `make simulate` (or python -m bench.simulate after make bench's setup).
"""

import http.client
import json
import os
import random
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import func, select

from bench.common import CAPTURED_AT, login, serve
from gridgov import create_app
from gridgov.accounts import service as accounts
from gridgov.accounts.models import User
from gridgov.extensions import db
from gridgov.hierarchy.models import Area
from gridgov.houses.models import House
from gridgov.idnumber import check_character
from gridgov.people.models import Person

DEVICES = int(os.environ.get("SIM_DEVICES", "8"))
ROUNDS = int(os.environ.get("SIM_ROUNDS", "12"))
DROP = float(os.environ.get("SIM_DROP", "0.25"))
PORT = int(os.environ.get("SIM_PORT", "5093"))
# Houses are never deleted (people in other benchmarks may live in them), so each run builds its
# own compounds; the simulated people of earlier runs are removed before a run.
RUN = str(int(time.time()))


@dataclass
class Device:
    n: int
    cell: str
    point: tuple[float, float]
    token: str = ""
    houses: list[str] = field(default_factory=list)
    people: dict[str, dict] = field(default_factory=dict)  # id number -> expected state
    sent: int = 0
    drops: int = 0
    conflicts: int = 0

    def id_number(self, k: int) -> str:
        first17 = f"440303{1960 + self.n % 40}0101{k:03d}"
        return first17 + check_character(first17)


def post(path: str, body: dict, token: str, drop: str | None) -> tuple[int, dict] | None:
    """One attempt; None when the connection was dropped (deliberately or not)."""
    raw = json.dumps(body).encode()
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("Content-Length", str(len(raw)))
        conn.endheaders()
        if drop == "half":
            conn.send(raw[: len(raw) // 2])
            return None
        conn.send(raw)
        if drop == "before_answer":
            return None
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    except OSError:
        return None
    finally:
        conn.close()


def send(device: Device, records: list[dict], rng: random.Random) -> list[dict]:
    """Upload until the server answers; the same batch every time."""
    body = {"device_id": f"sim-{device.n}", "records": records}
    device.sent += len(records)
    while True:
        drop = rng.choice(["half", "before_answer"]) if rng.random() < DROP else None
        answer = post("/api/v1/sync/upload", body, device.token, drop)
        if answer is None:
            device.drops += 1
            time.sleep(0.05)
            continue
        status, payload = answer
        if status == 200:
            return payload["results"]
        if status != 503:
            raise RuntimeError(f"unexpected {status}: {payload}")


def envelope(type_, data, op="upsert", base=None, point=None):
    env = {
        "uuid": str(uuid.uuid4()),
        "type": type_,
        "op": op,
        "data": data,
        "captured_at": CAPTURED_AT,
        "position": {"lon": point[0], "lat": point[1], "crs": "wgs84"},
    }
    if base is not None:
        env["base_version"] = base
    return env


def run_device(device: Device) -> Device:
    rng = random.Random(device.n)
    lon, lat = device.point
    houses = [
        envelope(
            "house",
            {
                "compound": f"模拟苑{RUN}-{device.n}",
                "building": "1栋",
                "unit": "1",
                "floor": 1 + i // 10,
                "room": str(101 + i),
                "use": "01",
                "rented": False,
                "location": {"lon": lon, "lat": lat, "crs": "wgs84"},
            },
            point=device.point,
        )
        for i in range(20)
    ]
    device.houses = [r["key"] for r in send(device, houses, rng)]
    next_k = 1
    for _ in range(ROUNDS):
        batch, planned = [], []
        for _ in range(rng.randint(20, 60)):
            alive = [n for n, p in device.people.items() if not p["deleted"]]
            action = rng.choice(["new"] * 4 + (["edit", "move", "delete"] if alive else []))
            if action == "new" or not alive:
                number, next_k = device.id_number(next_k), next_k + 1
                state = {
                    "name": f"模拟{device.n}-{next_k}",
                    "house": rng.choice(device.houses),
                    "version": 0,
                    "deleted": False,
                }
                batch.append(envelope("person", person(number, state), point=device.point))
                planned.append((number, "new", state))
                continue
            number = rng.choice(alive)
            if any(p[0] == number for p in planned):
                continue  # one change per person per batch keeps the expectation simple
            state = dict(device.people[number])
            if action == "edit":
                state["name"] += "改"
                batch.append(
                    envelope(
                        "person", person(number, state), base=state["version"], point=device.point
                    )
                )
            elif action == "move":
                state["house"] = rng.choice(device.houses)
                batch.append(
                    envelope(
                        "person",
                        {"id_number": number, "house_code": state["house"]},
                        op="move",
                        base=state["version"],
                        point=device.point,
                    )
                )
            else:
                state["deleted"] = True
                batch.append(
                    envelope(
                        "person",
                        {"id_number": number},
                        op="delete",
                        base=state["version"],
                        point=device.point,
                    )
                )
            planned.append((number, action, state))
        for (number, _, state), result in zip(planned, send(device, batch, rng), strict=True):
            if result["outcome"] in ("created", "updated"):
                state["version"] = result["version"]
                device.people[number] = state
            elif result["outcome"] == "unchanged":
                state["version"] = result["version"]
                device.people[number] = state
            else:
                raise RuntimeError(f"device {device.n}: {result}")
    return device


def person(number: str, state: dict) -> dict:
    return {
        "id_number": number,
        "capture_method": "typed",
        "name": state["name"],
        "sex": "1" if int(number[16]) % 2 else "2",
        "kind": "resident",
        "house_code": state["house"],
    }


def check(app, devices: list[Device]) -> list[str]:
    """Compare the database with what every device meant to send."""
    problems = []
    vault = app.extensions["vault"]
    with app.app_context():
        for device in devices:
            for number, want in device.people.items():
                row = db.session.execute(
                    select(Person.name, Person.version, Person.deleted_at, House.code)
                    .join(House, House.id == Person.house_id)
                    .where(Person.id_index == vault.index(number, "id_number"))
                ).one_or_none()
                if row is None:
                    problems.append(f"{number}: missing")
                    continue
                got = (row.name, row.version, row.deleted_at is not None, row.code)
                if got != (want["name"], want["version"], want["deleted"], want["house"]):
                    problems.append(f"{number}: {got} != {want}")
        expected = sum(len(d.people) for d in devices)
        stored = db.session.scalar(
            select(func.count()).select_from(Person).where(Person.name.like("模拟%"))
        )
        if stored != expected:
            problems.append(f"{stored} simulated people stored, {expected} sent")
        houses = db.session.scalar(
            select(func.count()).select_from(House).where(House.compound.like(f"模拟苑{RUN}-%"))
        )
        if houses != 20 * len(devices):
            problems.append(f"{houses} simulated houses stored, {20 * len(devices)} sent")
    return problems


def setup(app) -> list[Device]:
    with app.app_context():
        db.session.execute(
            db.text(
                "DELETE FROM residences WHERE person_id IN "
                "(SELECT id FROM persons WHERE name LIKE '模拟%')"
            )
        )
        db.session.execute(db.text("DELETE FROM persons WHERE name LIKE '模拟%'"))
        db.session.commit()
        cells = db.session.execute(
            select(
                Area.code,
                func.ST_X(func.ST_PointOnSurface(Area.geom)),
                func.ST_Y(func.ST_PointOnSurface(Area.geom)),
            )
            .where(Area.level == "grid")
            .order_by(Area.code)
            .limit(DEVICES)
        ).all()
        devices = []
        for n, (cell, lon, lat) in enumerate(cells):
            username = f"sim_worker_{n}"
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                accounts.create_user(None, username, "sim-pass-123", "grid_worker", [cell])
            else:
                accounts.update_user(None, user.id, {"areas": [cell], "unlock": True})
            devices.append(Device(n, cell, (lon, lat)))
    for device in devices:
        device.token = login(PORT, f"sim_worker_{device.n}", "sim-pass-123")
    return devices


def main() -> int:
    app = create_app()
    server = serve("wsgi:app", PORT)
    try:
        devices = setup(app)
        started = time.perf_counter()
        with ThreadPoolExecutor(len(devices)) as pool:
            devices = list(pool.map(run_device, devices))
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()
    problems = check(app, devices)
    sent = sum(d.sent for d in devices)
    print(
        f"simulate: {len(devices)} devices, {sent} records sent in {seconds:.1f} s, "
        f"{sum(d.drops for d in devices)} dropped connections retried, "
        f"{sum(len(d.people) for d in devices)} people and {20 * len(devices)} houses expected"
    )
    for problem in problems[:20]:
        print("MISMATCH", problem)
    print(
        "database matches what the devices meant to send"
        if not problems
        else f"{len(problems)} mismatches"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
