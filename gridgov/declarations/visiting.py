"""Declarations sent to the door: a visit task through gridgov.visits (which never imports us),
and what a visit result makes of the declaration (registered as the subject "declaration")."""

import json

from sqlalchemy import select

from gridgov import idnumber
from gridgov.crypto import mask_phone
from gridgov.declarations import current, states
from gridgov.declarations.models import Declaration
from gridgov.errors import GridgovError
from gridgov.extensions import db
from gridgov.records.writer import Writer
from gridgov.scope import Principal, inside
from gridgov.visits import service as visits
from gridgov.visits import subjects

SUBJECT = "declaration"
# Who issues the visits triage sends: the rules, for the whole district (no user).
RULES = Principal(user_id=None, username="triage", role="admin", areas=())


def send(w: Writer, decl: Declaration, reason: str, actor_id: int | None) -> None:
    """Issue a door visit to the declaration's house and move it to visiting. Triage sends it
    as the rules (actor None); the desk as the reviewer, within their areas."""
    issuer = w if actor_id is not None else Writer(RULES, None, w.vault, w.codes, w.today)
    if decl.id is None:
        db.session.flush()  # the task names the declaration by its key
    decl.visit_task_id = visits.issue(issuer, decl.house_id, SUBJECT, decl.id, reason)
    states.move(decl, "visiting", actor_id, reason)


def withdraw(decl: Declaration, actor_id: int | None, reason: str) -> None:
    """The open visit of a declaration that no longer needs one (rejected, approved)."""
    if decl.state == "visiting" and decl.visit_task_id is not None:
        visits.withdraw(decl.visit_task_id, actor_id, reason)


def _masked(field: str, value):
    if value is None or not isinstance(value, str):
        return value
    if field == "phone":
        return mask_phone(value)
    if field == "id_number":
        return idnumber.mask(value)
    return value


def on_result(w: Writer, subject_id: int, result: str, corrected, proof_ok: bool) -> None:
    """A door visit's result, in the upload's transaction (never committed here)."""
    from gridgov.declarations import desk  # desk writes the record; it imports this module

    decl = db.session.get(Declaration, subject_id, with_for_update=True)
    if decl is None or decl.state != "visiting":
        return  # withdrawn or decided meanwhile: the visit result is kept by visits alone
    worker = w.principal.user_id
    if not proof_ok:
        decl.flags = [*decl.flags, "proof_not_ok"]
        states.move(decl, "reviewed", worker, "上门核查凭证不符，退回窗口审核")
        return
    if result == "confirmed" and current().visit_confirm_approves:
        # The visit saw what was declared: the worker's confirmation is the approval. If the
        # record cannot take it, the declaration goes back to the desk: the result is kept.
        savepoint = db.session.begin_nested()
        try:
            desk.approve(w, decl, "上门核查确认", confirm_stale=True)
            savepoint.commit()
            return
        except GridgovError as e:
            savepoint.rollback()
            db.session.refresh(decl)
            states.move(decl, "reviewed", worker, f"上门核查确认，自动审批未成: {e.detail}"[:200])
            return
    if result == "differs" and corrected:
        _correct(w, decl, corrected)
        states.move(decl, "reviewed", worker, "上门核查发现不一致")
        return
    notes = {
        "confirmed": "上门核查确认，待窗口审批",
        "nobody_there": "上门无人",
        "refused": "上门被拒",
    }
    states.move(decl, "reviewed", worker, notes.get(result, result))


def _correct(w: Writer, decl: Declaration, corrected: dict) -> None:
    """The worker's corrections become the declaration's (sealed) and its diff (masked)."""
    body = json.loads(w.vault.open(decl.body_sealed, "declaration.body"))
    person = body["person"]
    fields = set(person) | {"name", "sex", "ethnicity", "phone", "kind", "capture_method"}
    for name, value in corrected.items():
        if name in fields and name != "id_number":
            person[name] = value
    decl.body_sealed = w.vault.seal(json.dumps(body, ensure_ascii=False), "declaration.body")
    decl.diff = [
        {"field": k, "ours": None, "theirs": _masked(k, v)} for k, v in sorted(corrected.items())
    ]


def describe(principal: Principal, subject_ids: set[int]) -> dict:
    """What a worker's task shows of its declaration: the masked difference to check."""
    rows = db.session.execute(
        select(
            Declaration.id,
            Declaration.reference,
            Declaration.id_masked,
            Declaration.name_masked,
            Declaration.diff,
        ).where(Declaration.id.in_(subject_ids), inside(principal, Declaration.area_code))
    )
    return {
        r.id: {
            "reference": r.reference,
            "id_number": r.id_masked,
            "name": r.name_masked,
            "diff": r.diff,
        }
        for r in rows
    }


subjects.register(SUBJECT, on_result, describe)
