"""A resident's declaration: checked by the record's own rules, throttled per client address and
per ID number, triaged at once, and written to staging only (never to the record). The answer
tells nothing of the record: a reference, the state and the route."""

import json
import secrets
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gridgov import idnumber
from gridgov.audit.service import record
from gridgov.clock import district_today
from gridgov.declarations import Settings, guard, rules, staging, states, triage, visiting
from gridgov.declarations.models import PENDING_INDEX, Declaration
from gridgov.errors import ValidationFailed
from gridgov.extensions import db
from gridgov.houses.models import House
from gridgov.people import schemas as person_schemas
from gridgov.people import service as people
from gridgov.records.checks import check_codes, refuse
from gridgov.records.writer import Writer
from gridgov.visits import service as visits

# 32 letters and digits that cannot be misread (no 0/O, 1/I): 12 of them are 60 random bits.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    n = secrets.randbits(60)  # one draw: 12 of them cost 12 reads of the system's randomness
    return "SB" + "".join(ALPHABET[(n >> 5 * i) & 31] for i in range(12))


def _house(body: dict, found: guard.Found) -> tuple[House | None, str]:
    """The house declared (None: an address with no house on record yet) and its community."""
    if "house_code" in body:
        if found.house is None:
            raise ValidationFailed.field("house_code", f"{body['house_code']} is not a known house")
        return found.house, found.house.community_code
    if found.community is None:
        raise ValidationFailed.field("address.community_code", "is not a community of the district")
    return found.house, found.community


def _checked(w: Writer, body: dict) -> list[tuple[str, dict, idnumber.IdNumber]]:
    """(where, person, ID number) of everyone declared, each checked by the record's rules."""
    people_ = [("person.", body["person"])]
    people_ += [(f"household.{i}.", p) for i, p in enumerate(body["household"])]
    out, seen = [], set()
    for where, person in people_:
        parsed = people.checked(w, person, where)
        if parsed.number in seen:
            raise ValidationFailed.field(where + "id_number", "is declared twice")
        seen.add(parsed.number)
        out.append((where, {**person, "id_number": parsed.number}, parsed))
    if body.get("floating"):
        refuse(check_codes(body["floating"], person_schemas.FLOATING_CODES, w.codes, "floating."))
    return out


def submit(w: Writer, body: dict, address: str, s: Settings) -> dict:
    """Accept a declaration (and one for each household member), triaged; all or nothing."""
    address_hash = w.vault.index(address or "-", "declaration.address")
    declared = _checked(w, body)
    indexes = [w.vault.index(parsed.number, "id_number") for _, _, parsed in declared]
    wheres = [where for where, _, _ in declared]
    found = guard.read(body, indexes, address_hash, wheres, s)
    house, community = _house(body, found)
    floating = body.get("floating")
    matches = [
        triage.match(w, person, floating, house, found.on_record.get(index))
        for (_, person, _), index in zip(declared, indexes, strict=True)
    ]
    newcomers = sum(
        1
        for m in matches
        if m.person is None
        or m.person.deleted_at is not None
        or house is None
        or m.person.house_id != house.id
    )
    lease = bool(floating and floating.get("lease"))
    sealed_body = w.vault.seal(
        json.dumps(triage.plain(body), ensure_ascii=False), "declaration.body"
    )
    decisions = [
        rules.route(triage.facts(person, parsed.sex, m, house, lease, newcomers))
        for (_, person, parsed), m in zip(declared, matches, strict=True)
    ]
    common = {
        "street_code": community[:9] + "000",
        "community_code": community,
        "grid_code": house.grid_code if house else None,
        "area_code": house.grid_code if house else community,
        "house_id": house.id if house else None,
        "house_code": house.code if house else None,
        "address_hash": address_hash,
    }
    rows = [
        _row(common, person, parsed, index, m, decision)
        for (_, person, parsed), index, m, decision in zip(
            declared, indexes, matches, decisions, strict=True
        )
    ]
    sends = [d.route == "visit" and house is not None for d in decisions]
    if len(rows) == 1:
        return _one({**rows[0], "body_sealed": sealed_body}, decisions[0], sends[0], s, wheres)
    try:
        made = _written(w, body, declared, rows, decisions, sends, sealed_body, s)
    except IntegrityError as err:
        if not _lost_to_pending(err):
            raise
        db.session.rollback()
        raise guard.pending(indexes, wheres) from None
    first, *household = (_answer(d) for d in made)
    db.session.commit()
    return {**first, "household": household}


def _written(w: Writer, body, declared, rows, decisions, sends, sealed_body, s) -> list:
    """The declarations of a household through the ORM: flushed, not committed."""
    # Two households naming the same people in another order queue here instead of
    # deadlocking on the unique index of pending declarations.
    db.session.execute(
        text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"),
        {"keys": sorted({int.from_bytes(r["id_index"][:8], "big", signed=True) for r in rows})},
    )
    made, parent = [], None
    for (_, person, _), row, decision, send in zip(declared, rows, decisions, sends, strict=True):
        decl = Declaration(
            **row,
            parent_id=_flushed(parent).id if parent else None,
            # The whole declaration on the first, each member's own block on the others.
            body_sealed=sealed_body
            if parent is None
            else w.vault.seal(
                json.dumps(
                    triage.plain({**body, "person": person, "household": []}), ensure_ascii=False
                ),
                "declaration.body",
            ),
        )
        states.triaged(decl, f"{decision.rule} (v{decision.version})")
        if decision.route == "no_change":
            states.close(decl, None, s.keep_days)
        elif send:
            visiting.send(w, decl, decision.rule, None)
        record("declare", "declaration", decl.reference, after=public_view(decl))
        made.append(decl)
        parent = parent or decl
    db.session.flush()  # the INSERTs return submitted_at (eager defaults) for the answer
    return made


def _lost_to_pending(err: IntegrityError) -> bool:
    """Whether the unique index of pending declarations refused the write."""
    return getattr(getattr(err.orig, "diag", None), "constraint_name", None) == PENDING_INDEX


def _row(common: dict, person: dict, parsed, index: bytes, m, decision) -> dict:
    """A triaged declaration's columns (body_sealed and parent_id apart)."""
    return {
        **common,
        "reference": new_reference(),
        "state": "triaged",
        "person_id": m.person.id if m.person else None,
        "kind": person["kind"],
        "id_index": index,
        "id_masked": idnumber.mask(parsed.number),
        "name_masked": mask_name(person["name"]),
        "diff": m.diff,
        "record_version": m.person.version if m.person else None,
        "route": decision.route,
        "rule_name": decision.rule,
        "rules_version": decision.version,
    }


def _one(row: dict, decision, send: bool, s: Settings, wheres: list[str]) -> dict:
    """One person's declaration: one INSERT statement (see staging), with its door visit if
    triage sends one."""
    # Acknowledged and closed at once (no change), as states.close does.
    closed = decision.route == "no_change"
    purge_after = district_today() + timedelta(days=s.keep_days) if closed else None
    reason = f"{decision.rule} (v{decision.version})"
    # What visiting.send gives a door visit triage sends: the rule's name as its reason.
    visit = visits.checked_reason(decision.rule) if send else None
    if send:
        row = {**row, "state": "visiting"}
    try:
        submitted_at = staging.insert(row, purge_after, reason, view_of(row), visit)
    except IntegrityError as err:
        if not _lost_to_pending(err):
            raise
        raise guard.pending([row["id_index"]], wheres) from None
    return {
        "reference": row["reference"],
        "state": row["state"],
        "route": row["route"],
        "submitted_at": submitted_at,
        "household": [],
    }


def _flushed(decl: Declaration) -> Declaration:
    if decl.id is None:
        db.session.flush()
    return decl


def _answer(decl: Declaration) -> dict:
    return {
        "reference": decl.reference,
        "state": decl.state,
        "route": decl.route,
        "submitted_at": decl.submitted_at,
    }


def mask_name(name: str) -> str:
    """张** : the family name only (a name with the masked ID number would tell who it is)."""
    return name[:1] + "*" * (len(name) - 1)


def public_view(decl: Declaration) -> dict:
    """What may be shown of a declaration outside the desk: masked values only."""
    return view_of({c: getattr(decl, c) for c in VIEW_COLUMNS})


VIEW_COLUMNS = (
    "reference",
    "id_masked",
    "name_masked",
    "kind",
    "route",
    "rule_name",
    "rules_version",
)


def view_of(columns: dict) -> dict:
    """public_view of a declaration's column values."""
    return {
        "reference": columns["reference"],
        "id_number": columns["id_masked"],
        "name": columns["name_masked"],
        "kind": columns["kind"],
        "route": columns["route"],
        "rule": columns["rule_name"],
        "rules_version": columns["rules_version"],
    }
