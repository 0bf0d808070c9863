"""A scripted day through a real gunicorn that logs as `make run` does: uploads (with refused
records), look-ups, reveals, conflicts, the change feed, a door visit and a window
registration, and exports. Afterwards the day's ID and
phone numbers appear in clear nowhere but in the two answers that reveal them: not in any other
answer, not in the server log, not in an export, not in a dump of the database; and the log
carries no name either."""

import io
import os
import re
import subprocess
import uuid
import zipfile
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from sqlalchemy import select

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from tests import factories as f
from tests.live import Server
from tests.security.test_masking import completions

STREET = "440303001000"


@pytest.fixture
def day(client, tmp_path):
    f.make_district()
    f.make_user("wang", "grid_worker", [f.OWN_CELL])
    f.make_user("desk", "street_staff", [STREET])
    log = tmp_path / "server.log"
    server = Server(str(db.engine.url.render_as_string(hide_password=False)), log=log)
    try:
        yield server, log
    finally:
        server.close()


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return " ".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))


def test_a_days_numbers_are_in_clear_only_where_they_were_revealed(day):
    server, log = day
    worker = server.request(
        "POST", "/api/v1/auth/login", {"username": "wang", "password": f.PASSWORD}
    )[1]
    desk = server.request(
        "POST", "/api/v1/auth/login", {"username": "desk", "password": f.PASSWORD}
    )[1]
    wtok, dtok = worker["access_token"], desk["access_token"]
    answers: list[bytes] = []

    def call(method, path, body=None, token=wtok):
        status, headers, data = server.raw(method, path, body, token)
        assert status is not None and status < 500, (path, status, data[:300])
        answers.append(data)
        return status, data

    owner, landlord = f.id_number(900), f.id_number(901)
    rental = f.rental_data(landlord_id_number=landlord, landlord_phone="13700000901")
    house = f.house_data(owner_id_number=owner, rented=True, rental=rental)
    _, body = call(
        "POST",
        "/api/v1/sync/upload",
        {"device_id": "pda-1", "records": [f.envelope("house", house)]},
    )
    code = re.search(rb'"key": ?"(\d{25})"', body).group(1).decode()

    people = [f.person_data(i, code, phone=f"1390000{i:04d}", name=f"秘名{i}") for i in range(1, 6)]
    refused = [
        f.person_data(6, code, name="坏\x00名", phone="13900000006"),
        f.person_data(7, code, id_number=f.id_number(7)[:-1] + "0", phone="13900000007"),
    ]
    call(
        "POST",
        "/api/v1/sync/upload",
        {"device_id": "pda-1", "records": [f.envelope("person", p) for p in people + refused]},
    )
    # An edit from a stale copy becomes a conflict the desk reads and resolves.
    stale = {**people[0], "phone": "13911110000"}
    call(
        "POST",
        "/api/v1/sync/upload",
        {
            "device_id": "pda-1",
            "records": [f.envelope("person", {**people[0], "name": "秘名改"}, base_version=1)],
        },
    )
    call(
        "POST",
        "/api/v1/sync/upload",
        {"device_id": "pda-1", "records": [f.envelope("person", stale, base_version=1)]},
    )
    _, conflicts = call("GET", "/api/v1/conflicts", token=dtok)
    conflict_id = int(re.search(rb'"id": ?(\d+)', conflicts).group(1))
    call("POST", f"/api/v1/conflicts/{conflict_id}/resolve", {"choice": "theirs"}, token=dtok)
    call("GET", "/api/v1/sync/changes")
    # A door visit whose result corrects a phone number, and a walk-in registered at the window.
    _, visit = call("POST", "/api/v1/visits", {"house_code": code, "reason": "抽查"}, token=dtok)
    task_id = int(re.search(rb'"id": ?(\d+)', visit).group(1))
    call("GET", "/api/v1/sync/changes")
    result = {
        "uuid": str(uuid.uuid4()),
        "type": "visit",
        "op": "result",
        "captured_at": datetime.now(UTC).isoformat(),
        "position": {"lon": f.OWN_POINT[0], "lat": f.OWN_POINT[1], "crs": "wgs84"},
        "data": {"task_id": task_id, "result": "differs", "corrected": {"phone": "13600000808"}},
    }
    _, visited = call("POST", "/api/v1/sync/upload", {"device_id": "pda-1", "records": [result]})
    assert b'"created"' in visited
    call("GET", f"/api/v1/visits/{task_id}", token=dtok)
    call("GET", "/api/v1/visits", token=dtok)
    walk_in = f.person_data(8, code, phone="13900000008", name="秘名8")
    registered, _ = call(
        "POST",
        "/api/v1/window/persons",
        {"person": walk_in, "capture_method": "card_reader"},
        token=dtok,
    )
    assert registered == 201

    _, found = call(
        "POST", "/api/v1/persons/lookup", {"id_number": people[1]["id_number"]}, token=dtok
    )
    person_id = int(re.search(rb'"id": ?(\d+)', found).group(1))
    call("GET", f"/api/v1/persons/{person_id}", token=dtok)
    call("GET", f"/api/v1/persons?area={STREET}", token=dtok)
    call("GET", f"/api/v1/houses/{code}", token=dtok)
    # A search by name (refused, or answered) must leave the name out of the access log.
    call("GET", f"/api/v1/persons?area={STREET}&name={quote('秘名1')}", token=dtok)
    revealed = [
        server.raw(
            "POST",
            f"/api/v1/persons/{person_id}/reveal",
            {"field": field, "reason": "窗口核验"},
            dtok,
        )[2]
        for field in ("id_number", "phone")
    ]
    assert people[1]["id_number"].encode() in revealed[0]
    exports = []
    for path in ("persons", "houses"):
        for fmt in ("csv", "xlsx"):
            status, data = call(
                "GET", f"/api/v1/exports/{path}?area={STREET}&format={fmt}", token=dtok
            )
            assert status == 200
            exports.append(xlsx_text(data) if fmt == "xlsx" else data.decode("utf-8-sig"))
    server.close()

    numbers = [p["id_number"] for p in people + refused + [walk_in]] + [owner, landlord]
    phones = [p["phone"] for p in people + refused + [walk_in]]
    phones += ["13700000901", "13911110000", "13600000808"]
    texts = {
        "answers": b"\n".join(answers).decode("utf-8", "replace"),
        "log": log.read_text("utf-8", "replace"),
        "exports": "\n".join(exports),
        "dump": subprocess.run(
            ["pg_dump", "--data-only", os.environ["DATABASE_URL"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout,
    }
    hits = {
        (where, secret)
        for where, text in texts.items()
        for secret in numbers + phones
        if secret in text
    }
    assert hits == set()
    names = [p["name"] for p in people] + ["坏", "秘名改", "秘名8"]
    assert [n for n in names if n in texts["log"] or quote(n) in texts["log"]] == []
    assert code in texts["dump"] and "/api/v1/sync/upload" in texts["log"]  # both were read
    assert "GET /api/v1/persons HTTP" in texts["log"]  # the access log was on, without its query

    # Nothing masked that was served can be completed from the fields served with it.
    masked = set(re.findall(r"\d{6}\*{8}\d{3}[\dX]", texts["answers"] + texts["exports"]))
    assert masked
    by_mask = {n[:6] + "*" * 8 + n[-4:]: n for n in numbers}
    for m in masked:
        number = by_mask[m]
        fits = completions(m, int(number[6:10]), "1" if int(number[16]) % 2 else "2")
        assert len(fits) >= 10 and number[6:14] not in texts["answers"] + texts["exports"]
    assert db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "reveal")
    ).all() == ["reveal", "reveal"]
