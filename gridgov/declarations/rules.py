"""Triage rules as data: an ordered, versioned set an admin replaces as a whole. The first rule
whose condition holds routes the declaration; of the rest a sample goes to a door visit anyway,
and the others to the desk. Each decision names the version and the rule that fired."""

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from gridgov.audit.service import record
from gridgov.declarations.models import TriageRule, TriageRuleSet
from gridgov.errors import ValidationFailed
from gridgov.extensions import db


@dataclass(frozen=True)
class Facts:
    """What triage found, comparing the declaration with the record."""

    on_record: bool  # someone with this ID number is on record (not deleted)
    identical: bool  # on record, in this house, and nothing declared differs
    house_on_record: bool
    sex_mismatch: bool  # the declared sex disagrees with the ID number's sex digit
    lives_elsewhere: bool  # on record in another house of the district
    new_floating_in_rental: bool  # not on record, floating, the house is rented (or a lease)
    occupants_after: int  # people living in the house once the declaration is approved
    typed_only: bool  # the number was typed, and the record never read it from a card
    changed: frozenset[str]  # the fields that differ from the record


def _occupants_above(facts: Facts, params: dict) -> bool:
    return facts.occupants_after > params["n"]


def _field_changed(facts: Facts, params: dict) -> bool:
    """Someone on record declared another value (for a newcomer every field is new)."""
    return facts.on_record and params["field"] in facts.changed


# The condition kinds a rule may use, and the parameters each takes (name -> type).
KINDS = {
    "identical": (lambda f, p: f.identical, {}),
    "house_not_on_record": (lambda f, p: not f.house_on_record, {}),
    "sex_mismatch": (lambda f, p: f.sex_mismatch, {}),
    "lives_elsewhere": (lambda f, p: f.lives_elsewhere, {}),
    "new_floating_in_rental": (lambda f, p: f.new_floating_in_rental, {}),
    "occupants_above": (_occupants_above, {"n": int}),
    "typed_only": (lambda f, p: f.typed_only, {}),
    "field_changed": (_field_changed, {"field": str}),
    "new_person": (lambda f, p: not f.on_record, {}),
}
SAMPLE_RULE = "sample"
DEFAULT_RULE = "default"


@dataclass(frozen=True)
class Decision:
    route: str
    rule: str
    version: int


def current_version() -> int:
    return db.session.scalar(select(func.max(TriageRuleSet.version)))


# Which version is in force, as this process last read it: (read at, (version, stored at)).
# A new version applies in every worker within CURRENT_SECONDS (at once in the one storing it).
CURRENT_SECONDS = 5.0
_in_force: list = [float("-inf"), None]


def forget() -> None:
    """Read the version in force again at the next declaration. A version is never removed in
    service; the tests' database removes the versions a test stored, and a version remembered
    from before would then name a rule set that is gone."""
    _in_force[:] = [float("-inf"), None]


def _current() -> tuple[int, object]:
    """(version, stored at) of the rules in force: the key of a version's cached rules (a
    version is never changed, but a test database may store the same number again)."""
    now = time.monotonic()
    if now - _in_force[0] > CURRENT_SECONDS:
        _in_force[:] = [
            now,
            tuple(
                db.session.execute(
                    select(TriageRuleSet.version, TriageRuleSet.created_at)
                    .order_by(TriageRuleSet.version.desc())
                    .limit(1)
                ).one()
            ),
        ]
    return _in_force[1]


@dataclass(frozen=True)
class RuleSet:
    version: int
    sample_rate: float
    created_at: object
    rules: tuple  # (name, kind, params, route), in order


# A stored version never changes: each process keeps the versions it has read.
_versions: dict[tuple, RuleSet] = {}


def rules_of(version: int, stored_at=None) -> RuleSet:
    key = (version, stored_at)
    if stored_at is None or key not in _versions:
        rule_set = db.session.get(TriageRuleSet, version)
        rules = db.session.execute(
            select(TriageRule.name, TriageRule.kind, TriageRule.params, TriageRule.route)
            .where(TriageRule.version == version)
            .order_by(TriageRule.position)
        ).all()
        found = RuleSet(
            version, float(rule_set.sample_rate), rule_set.created_at, tuple(map(tuple, rules))
        )
        if stored_at is None:
            return found
        _versions[key] = found
    return _versions[key]


def route(facts: Facts) -> Decision:
    """The route of a declaration by the current rules."""
    version, stored_at = _current()
    rule_set = rules_of(version, stored_at)
    for name, kind, params, route_ in rule_set.rules:
        condition, _ = KINDS[kind]
        if condition(facts, params):
            return Decision(route_, name, version)
    # The sample is drawn for what no rule caught: unpredictable to the declarer.
    if secrets.randbelow(10_000) < round(rule_set.sample_rate * 10_000):
        return Decision("visit", SAMPLE_RULE, version)
    return Decision("desk", DEFAULT_RULE, version)


def as_dict(version: int | None = None) -> dict:
    rule_set = rules_of(version or current_version())
    return {
        "version": rule_set.version,
        "sample_rate": rule_set.sample_rate,
        "created_at": rule_set.created_at.isoformat(),
        "rules": [{"name": n, "kind": k, "params": p, "route": r} for n, k, p, r in rule_set.rules],
    }


def _checked_params(i: int, kind: str, params: dict) -> dict:
    _, wanted = KINDS[kind]
    where = f"rules.{i}.params"
    if set(params) != set(wanted):
        raise ValidationFailed.field(where, f"{kind} takes exactly {sorted(wanted) or 'none'}")
    for name, type_ in wanted.items():
        value = params[name]
        if not isinstance(value, type_) or isinstance(value, bool):
            raise ValidationFailed.field(f"{where}.{name}", f"must be a {type_.__name__}")
        if type_ is int and not 0 <= value <= 10_000:
            raise ValidationFailed.field(f"{where}.{name}", "must be between 0 and 10000")
    return params


def replace(actor_id: int, rules: list[dict], sample_rate: float) -> dict:
    """Store a new version of the rules; the old ones stay, named by the decisions made."""
    checked = [
        {**r, "params": _checked_params(i, r["kind"], r.get("params") or {})}
        for i, r in enumerate(rules)
    ]
    db.session.execute(select(func.pg_advisory_xact_lock(15_000)))  # one new version at a time
    version = (current_version() or 0) + 1
    db.session.add(TriageRuleSet(version=version, sample_rate=sample_rate, created_by=actor_id))
    db.session.flush()
    for position, r in enumerate(checked):
        db.session.add(TriageRule(version=version, position=position, **r))
    _in_force[0] = float("-inf")  # this process applies the new version at once
    record(
        "replace_triage_rules",
        "triage_rules",
        str(version),
        actor_id=actor_id,
        after={"sample_rate": sample_rate, "rules": checked},
    )
    db.session.commit()
    return as_dict(version)
