"""Retiring a data key: `flask keys reseal` moves every stored personal value to the newest
key; the values read the same afterwards, with the old key gone."""

import base64

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import func, select, text

from gridgov.audit.models import AuditEvent
from gridgov.crypto import Vault, parse_keys
from gridgov.extensions import db
from gridgov.keys import service
from tests import factories as f

SECOND_KEY = base64.b64encode(b"test-data-key-2-not-for-product!").decode()


def vault_with(app, keys: str) -> Vault:
    return Vault(parse_keys(keys), base64.b64decode(app.config["GRIDGOV_BLIND_INDEX_KEY"]))


@pytest.fixture
def keys(app):
    """Swap the app's data keys for the test: keys("1:..,2:..") (restored afterwards)."""
    original = app.extensions["vault"]

    def use(text: str) -> None:
        app.extensions["vault"] = vault_with(app, text)

    yield use
    app.extensions["vault"] = original


@pytest.fixture
def stored(client, worker):
    """A rented house with an owner and a landlord, a person with a phone and a residence
    permit, and a conflict keeping a device's record: every sealed column holds a value."""
    rented = f.house_data(room="301", rented=True, rental=f.rental_data())
    [house] = f.upload(client, worker, f.envelope("house", rented))
    data = f.person_data(5, house["key"])
    data["floating"]["certificate_no"] = "4403032026000123"
    [person] = f.upload(client, worker, f.envelope("person", data))
    f.upload(client, worker, f.envelope("person", {**data, "name": "甲"}, base_version=1))
    [stale] = f.upload(client, worker, f.envelope("person", {**data, "name": "乙"}, base_version=1))
    assert stale["outcome"] == "conflict"
    return int(person["key"])


def test_reseal_moves_every_stored_value_to_the_newest_key(app, cli, client, stored, keys):
    first = app.config["GRIDGOV_DATA_KEYS"]
    assert all(set(v) == {1} for v in service.versions().values())
    keys(f"{first},2:{SECOND_KEY}")
    result = cli.invoke(args=["keys", "reseal", "--chunk", "1"])
    assert result.exit_code == 0, result.output
    assert "7 values re-encrypted under key version 2" in result.output
    assert all(set(v) == {2} for v in service.versions().values())
    audited = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "reseal")
    )
    assert audited == 7  # one value in each sealed column, a chunk of one row each time
    # With only the new key configured, the full numbers still read the same.
    keys(f"2:{SECOND_KEY}")
    staff = f.auth_as(client, "street_staff", ["440303001000"], username="desk")
    for field, value in (("id_number", f.id_number(5)), ("phone", "13912345678")):
        response = client.post(
            f"/api/v1/persons/{stored}/reveal",
            json={"field": field, "reason": "换钥核验"},
            headers=staff,
        )
        assert response.json["value"] == value
    resolved = client.post("/api/v1/conflicts/1/resolve", json={"choice": "theirs"}, headers=staff)
    assert resolved.json["outcome"] == "updated"
    status = cli.invoke(args=["keys", "status"])
    assert "persons.id_sealed: v2: 1" in status.output
    assert "new values are sealed with key version 2" in status.output


def test_reseal_run_again_has_nothing_to_do(app, cli, stored, keys):
    keys(f"{app.config['GRIDGOV_DATA_KEYS']},2:{SECOND_KEY}")
    assert cli.invoke(args=["keys", "reseal"]).exit_code == 0
    again = cli.invoke(args=["keys", "reseal"])
    assert again.exit_code == 0 and "0 values re-encrypted" in again.output


def test_reseal_stops_on_a_value_whose_key_is_gone(cli, stored, keys):
    keys(f"2:{SECOND_KEY}")  # the key that sealed everything is no longer configured
    result = cli.invoke(args=["keys", "reseal"])
    assert result.exit_code == 1
    assert "no data key with version 1 is configured" in result.output
    assert all(set(v) == {1} for v in service.versions().values())


def test_a_value_whose_key_is_not_configured_is_a_problem_not_a_crash(client, stored, keys):
    keys(f"2:{SECOND_KEY}")
    staff = f.auth_as(client, "street_staff", ["440303001000"], username="desk")
    response = client.post(
        f"/api/v1/persons/{stored}/reveal",
        json={"field": "phone", "reason": "换钥后核验"},
        headers=staff,
    )
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "data_key_missing"


def test_an_interrupted_reseal_run_again_does_the_rest(app, cli, client, stored, keys, monkeypatch):
    keys(f"{app.config['GRIDGOV_DATA_KEYS']},2:{SECOND_KEY}")
    write, calls = service.update_rows, []

    def dies_on_the_third_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise ConnectionError("the database went away")
        return write(*args, **kwargs)

    monkeypatch.setattr(service, "update_rows", dies_on_the_third_chunk)
    first = cli.invoke(args=["keys", "reseal", "--chunk", "1"])
    assert isinstance(first.exception, ConnectionError)
    db.session.rollback()
    counts = service.versions()
    assert sum(v.get(2, 0) for v in counts.values()) == 2  # two chunks of one were committed
    assert sum(v.get(1, 0) for v in counts.values()) == 5
    monkeypatch.setattr(service, "update_rows", write)
    resumed = cli.invoke(args=["keys", "reseal", "--chunk", "1"])
    assert resumed.exit_code == 0, resumed.output
    assert "5 values re-encrypted under key version 2" in resumed.output
    assert all(set(v) == {2} for v in service.versions().values())
    chunks = db.session.scalars(
        select(AuditEvent.after["rows"].as_integer()).where(AuditEvent.action == "reseal")
    ).all()
    assert chunks == [1] * 7
    keys(f"2:{SECOND_KEY}")  # the old key can go: every value opens without it
    staff = f.auth_as(client, "street_staff", ["440303001000"], username="desk")
    revealed = client.post(
        f"/api/v1/persons/{stored}/reveal",
        json={"field": "id_number", "reason": "换钥核验"},
        headers=staff,
    )
    assert revealed.json["value"] == f.id_number(5)


def test_a_sealed_value_opens_only_for_the_purpose_it_was_sealed_for(app, client, stored):
    vault = app.extensions["vault"]
    blob = vault.seal("13912345678", "person.phone")
    assert vault.open(blob, "person.phone") == "13912345678"
    with pytest.raises(InvalidTag):
        vault.open(blob, "person.id_number")
    # A sealed ID number copied into the phone column does not read as a phone number.
    db.session.execute(text("UPDATE persons SET phone_sealed = id_sealed"))
    db.session.commit()
    staff = f.auth_as(client, "street_staff", ["440303001000"], username="desk")
    response = client.post(
        f"/api/v1/persons/{stored}/reveal",
        json={"field": "phone", "reason": "回访联系核验"},
        headers=staff,
    )
    assert response.status_code == 500, response.json
    assert response.content_type == "application/problem+json"
    assert f.id_number(5) not in response.text and "value" not in response.json
