"""冲突: a stale edit from a device is listed field by field, and resolving it updates the
record and the list."""

from sqlalchemy import select

from gridgov.extensions import db
from gridgov.people.models import Person
from gridgov.sync.models import Conflict
from tests import factories as f
from tests.console.conftest import log_in


def test_resolving_a_conflict_with_the_devices_version_applies_it_and_empties_the_list(
    page, district
):
    client, staff, person = district["client"], district["staff"], district["person"]
    version = db.session.get(Person, district["person_id"]).version
    renamed = {**person, "name": "王小明"}
    [first] = f.upload(
        client, staff, f.envelope("person", renamed, base_version=version, position=None)
    )
    assert first["outcome"] == "updated"
    stale = {**person, "name": "王晓明"}
    [second] = f.upload(
        client, staff, f.envelope("person", stale, base_version=version, position=None)
    )
    assert second["outcome"] == "conflict"

    log_in(page, district, "street", "conflicts")
    page.wait_for_selector("[data-test=conflict-count]:has-text('1')")
    diff = page.inner_text("[data-test=diff]")
    assert "姓名" in diff and "王小明" in diff and "王晓明" in diff
    page.click("[data-test=take-theirs]")
    page.click(".el-message-box button:has-text('确定')")
    page.wait_for_selector("[data-test=conflict-count]:has-text('0')")
    db.session.expire_all()
    assert db.session.get(Person, district["person_id"]).name == "王晓明"
    conflict = db.session.scalar(select(Conflict).order_by(Conflict.id.desc()).limit(1))
    assert conflict.status != "open"
