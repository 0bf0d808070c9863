"""Upload outcomes are kept for a window (GRIDGOV_SYNC_KEEP_DAYS) and pruned after it; a record
captured before the window is refused, so a retry from before a prune can never apply twice."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from gridgov.audit.models import AuditEvent
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.sync import retention
from gridgov.sync.models import SyncRecord
from tests import factories as f


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


@pytest.fixture
def keep_days(app):
    """Set the window for one test."""
    saved = app.config["GRIDGOV_SYNC_KEEP_DAYS"]

    def use(days: int) -> None:
        app.config["GRIDGOV_SYNC_KEEP_DAYS"] = days

    yield use
    app.config["GRIDGOV_SYNC_KEEP_DAYS"] = saved


def test_a_record_captured_before_the_window_is_refused_naming_captured_at(client, worker):
    old = {**f.envelope("house", f.house_data()), "captured_at": days_ago(400)}
    [result] = f.upload(client, worker, old)
    assert (result["outcome"], result["status"]) == ("rejected", 422)
    assert [e["field"] for e in result["errors"]] == ["captured_at"]
    assert count(House) == 0


def test_prune_deletes_outcomes_past_the_window_and_keeps_the_rest(cli, client, worker):
    records = [f.envelope("house", f.house_data(room=str(101 + i))) for i in range(3)]
    first, *_ = f.upload(client, worker, *records)
    db.session.execute(
        text("UPDATE sync_records SET created_at = now() - interval '400 days' WHERE uuid = :u"),
        {"u": first["uuid"]},
    )
    db.session.commit()
    result = cli.invoke(args=["sync", "prune"])
    assert result.exit_code == 0, result.output
    assert "1 upload outcomes older than 365 days deleted" in result.output
    assert db.session.get(SyncRecord, first["uuid"]) is None and count(SyncRecord) == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "prune_outcomes"))
    assert event.after["rows"] == 1


def test_a_retry_after_its_outcomes_were_pruned_records_nothing_twice(
    cli, client, worker, keep_days
):
    batch = [
        {**f.envelope("house", f.house_data(room=str(101 + i))), "captured_at": days_ago(4)}
        for i in range(2)
    ]
    assert {r["outcome"] for r in f.upload(client, worker, *batch)} == {"created"}
    db.session.execute(text("UPDATE sync_records SET created_at = now() - interval '4 days'"))
    db.session.commit()
    keep_days(2)  # the window has passed for that batch (prune allows a day of clock skew)
    assert "2 upload outcomes" in cli.invoke(args=["sync", "prune"]).output
    retried = f.upload(client, worker, *batch)
    assert {(r["outcome"], r["errors"][0]["field"]) for r in retried} == {
        ("rejected", "captured_at")
    }
    assert count(House) == 2


def test_a_longer_window_after_a_prune_still_refuses_what_was_pruned(
    cli, client, worker, keep_days
):
    record = {**f.envelope("house", f.house_data()), "captured_at": days_ago(40)}
    f.upload(client, worker, record)
    db.session.execute(text("UPDATE sync_records SET created_at = now() - interval '40 days'"))
    db.session.commit()
    keep_days(30)
    assert "1 upload outcomes" in cli.invoke(args=["sync", "prune"]).output
    keep_days(365)  # someone lengthens the window afterwards
    [retried] = f.upload(client, worker, record)
    assert (retried["outcome"], retried["errors"][0]["field"]) == ("rejected", "captured_at")
    assert count(House) == 1


def test_an_old_capture_whose_outcome_is_kept_still_replays(client, worker, keep_days):
    record = {**f.envelope("house", f.house_data()), "captured_at": days_ago(10)}
    [first] = f.upload(client, worker, record)
    keep_days(5)  # shorter now, but nothing was pruned
    [again] = f.upload(client, worker, record)
    assert again == {**first, "replayed": True}


def test_a_capture_more_than_a_day_in_the_future_is_refused(client, worker):
    """A device's clock may run up to a day ahead: ten minutes short of it is taken, ten
    minutes past it is refused."""

    def ahead(minutes: int, room: str) -> dict:
        at = datetime.now(UTC) + timedelta(days=1, minutes=minutes)
        return {**f.envelope("house", f.house_data(room=room)), "captured_at": at.isoformat()}

    within, beyond = f.upload(client, worker, ahead(-10, "101"), ahead(10, "102"))
    assert within["outcome"] == "created"
    assert (beyond["outcome"], beyond["errors"][0]["field"]) == ("rejected", "captured_at")
    assert "future" in beyond["errors"][0]["message"]
    assert count(House) == 1


def test_prune_works_through_the_old_outcomes_a_chunk_at_a_time(client, worker):
    records = [f.envelope("house", f.house_data(room=str(101 + i))) for i in range(3)]
    f.upload(client, worker, *records)
    db.session.execute(text("UPDATE sync_records SET created_at = now() - interval '400 days'"))
    db.session.commit()
    assert retention.prune(365, chunk=1) == 3
    assert count(SyncRecord) == 0
    chunks = db.session.scalars(
        select(AuditEvent.after).where(AuditEvent.action == "prune_outcomes")
    ).all()
    assert [c["rows"] for c in chunks] == [1, 1, 1]
