"""Create and change accounts and the areas they are bound to. Every change is audited."""

from datetime import UTC, datetime

from sqlalchemy import select

from gridgov.accounts import passwords
from gridgov.accounts.models import ROLE_LEVEL, ROLES, User, UserArea
from gridgov.audit.service import record
from gridgov.errors import Conflict, NotFound, ValidationFailed, field_error
from gridgov.extensions import db
from gridgov.hierarchy.models import Area
from gridgov.hierarchy.service import valid_on
from gridgov.scope.cache import announce_auth_change


def _check_areas(role: str, codes: list[str]) -> list[str]:
    codes = sorted(set(codes))
    if role == "admin":
        if codes:
            raise ValidationFailed.field("areas", "an admin is not bound to areas")
        return []
    if not codes:
        raise ValidationFailed.field("areas", f"a {role} needs at least one {ROLE_LEVEL[role]}")
    found = dict(
        db.session.execute(
            select(Area.code, Area.level).where(Area.code.in_(codes), valid_on())
        ).all()
    )
    errors = []
    for code in codes:
        if code not in found:
            errors.append(field_error("areas", f"{code} is not an area in force"))
        elif found[code] != ROLE_LEVEL[role]:
            errors.append(
                field_error(
                    "areas", f"{code} is a {found[code]}; a {role} is bound to {ROLE_LEVEL[role]}s"
                )
            )
    if errors:
        raise ValidationFailed("; ".join(e["message"] for e in errors), errors=errors)
    return codes


def _check_password(password: str) -> None:
    problem = passwords.password_problem(password)
    if problem:
        raise ValidationFailed.field("password", problem)


def _snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "active": user.active,
        "areas": user.area_codes,
    }


def create_user(
    actor_id, username: str, password: str, role: str, areas: list[str], display_name: str = ""
) -> User:
    if role not in ROLES:
        raise ValidationFailed.field("role", f"must be one of {', '.join(ROLES)}")
    _check_password(password)
    codes = _check_areas(role, areas)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"The username {username!r} is taken.", code="username_taken")
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=passwords.hash_password(password),
        areas=[UserArea(area_code=c) for c in codes],
    )
    db.session.add(user)
    db.session.flush()
    record("create_user", "user", str(user.id), actor_id=actor_id, after=_snapshot(user))
    db.session.commit()
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.", code="unknown_user")
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.username)))


def update_user(actor_id, user_id: int, changes: dict) -> User:
    """Change name, role and areas, active flag or password; unlock=True clears a lock."""
    user = get_user(user_id)
    before = _snapshot(user)
    if "password" in changes:
        _check_password(changes["password"])
        user.password_hash = passwords.hash_password(changes["password"])
        user.sessions_since = datetime.now(UTC)
    if "active" in changes and changes["active"] != user.active:
        # Re-enabling must not revive the sessions the account had before it was disabled.
        user.sessions_since = datetime.now(UTC)
    role = changes.get("role", user.role)
    if role not in ROLES:
        raise ValidationFailed.field("role", f"must be one of {', '.join(ROLES)}")
    if "areas" in changes or role != user.role:
        codes = _check_areas(role, changes.get("areas", user.area_codes))
        user.areas = [UserArea(area_code=c) for c in codes]
    user.role = role
    for key in ("display_name", "active"):
        if key in changes:
            setattr(user, key, changes[key])
    if changes.get("unlock"):
        user.failed_logins, user.locked_until = 0, None
    after = _snapshot(user)
    if "password" in changes:
        after["password"] = "changed"
    record("update_user", "user", str(user.id), actor_id=actor_id, before=before, after=after)
    announce_auth_change()
    db.session.commit()
    return user
