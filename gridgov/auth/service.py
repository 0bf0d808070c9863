"""Log in, rotate refresh tokens, log out, and turn a verified token into a Principal."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import case, func, select, text
from sqlalchemy.dialects.postgresql import insert

from gridgov.accounts import passwords
from gridgov.accounts.models import User
from gridgov.audit.service import record
from gridgov.auth.models import AddressFailures, RefreshToken, Revocation, UnknownNameFailures
from gridgov.errors import TooManyAttempts, Unauthorized
from gridgov.extensions import db
from gridgov.scope import Principal
from gridgov.scope.cache import announce_auth_change

MAX_LOCK = timedelta(days=1)
# Failure counts of names without an account are forgotten this long after their last failure.
UNKNOWN_NAME_MEMORY = timedelta(days=30)


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lock_seconds: int = 300
    refresh_lifetime: timedelta = timedelta(days=30)
    address_max_failures: int = 50  # failed logins from one address per window, any user
    address_window: timedelta = timedelta(minutes=15)


def _now() -> datetime:
    return datetime.now(UTC)


def _bad_credentials() -> Unauthorized:
    return Unauthorized("Wrong username or password.", code="invalid_credentials")


def _issue(user: User, family: uuid.UUID, policy: LoginPolicy) -> dict:
    now = _now()
    jti = uuid.uuid4()
    db.session.add(
        RefreshToken(
            jti=jti,
            family=family,
            user_id=user.id,
            issued_at=now,
            expires_at=now + policy.refresh_lifetime,
        )
    )
    claims = {"fam": str(family), "role": user.role}
    return {
        "access_token": create_access_token(str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(
            str(user.id), additional_claims={**claims, "jti": str(jti)}
        ),
        "token_type": "Bearer",
    }


def _check_address(address: str | None, policy: LoginPolicy, now: datetime) -> None:
    """Refuse any login from an address that failed too often in its window, even with the
    right password: otherwise spraying one password over many accounts goes on until it hits."""
    row = db.session.get(AddressFailures, address) if address else None
    if row is None or row.failures < policy.address_max_failures:
        return
    ends = row.window_start + policy.address_window
    if ends > now:
        wait = int((ends - now).total_seconds()) + 1
        raise TooManyAttempts(
            f"Too many failed logins from this address; try again in {wait} seconds.",
            code="address_throttled",
            headers={"Retry-After": str(wait)},
        )


def _count_address_failure(address: str | None, policy: LoginPolicy, now: datetime) -> None:
    """One more failure for the address, in a new window if the last one has ended."""
    if not address:
        return
    table = AddressFailures.__table__
    stmt = insert(table).values(address=address, window_start=now, failures=1)
    expired = table.c.window_start <= now - policy.address_window
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.address],
            set_={
                "window_start": case((expired, now), else_=table.c.window_start),
                "failures": case((expired, 1), else_=table.c.failures + 1),
            },
        )
    )


def _lock_until(failures: int, policy: LoginPolicy, now: datetime) -> datetime | None:
    """The lock after this many failures in a row: none below the limit, then doubling."""
    excess = failures - policy.max_failures
    if excess < 0:
        return None
    return now + min(timedelta(seconds=policy.lock_seconds * 2 ** min(excess, 20)), MAX_LOCK)


def _check_lock(locked_until: datetime | None, now: datetime) -> None:
    if locked_until and locked_until > now:
        wait = int((locked_until - now).total_seconds()) + 1
        db.session.rollback()
        raise TooManyAttempts(
            f"Too many failed logins; try again in {wait} seconds.",
            code="account_locked",
            headers={"Retry-After": str(wait)},
        )


def _fail_unknown(username: str, password: str, policy: LoginPolicy, now: datetime, device_id):
    """A login under a name without an account: the same work, count and lock as a real one's."""
    table = UnknownNameFailures.__table__
    db.session.execute(
        insert(table)
        .values(username=username, failed_logins=0, last_failed_at=now)
        .on_conflict_do_nothing()
    )
    row = db.session.execute(
        select(UnknownNameFailures)
        .where(UnknownNameFailures.username == username)
        .with_for_update()
    ).scalar_one()
    _check_lock(row.locked_until, now)
    passwords.verify_password(None, password)
    row.failed_logins += 1
    row.last_failed_at = now
    row.locked_until = _lock_until(row.failed_logins, policy, now)
    record("login_failed", "user", username, device_id=device_id, after={"reason": "unknown"})


def login(username: str, password: str, policy: LoginPolicy, device_id=None, address=None) -> dict:
    """Check a password and start a new token family. Repeated failures lock the account for a
    time that doubles with each further failure, and an address that fails too often, on any
    accounts, is refused for the rest of its window. Unknown names fail and lock the same way."""
    now = _now()
    _check_address(address, policy, now)
    user = db.session.execute(
        select(User).where(User.username == username).with_for_update()
    ).scalar_one_or_none()
    if user is None:
        _fail_unknown(username, password, policy, now, device_id)
        _count_address_failure(address, policy, now)
        db.session.commit()
        raise _bad_credentials()
    _check_lock(user.locked_until, now)
    if not passwords.verify_password(user.password_hash, password):
        user.failed_logins += 1
        user.locked_until = _lock_until(user.failed_logins, policy, now) or user.locked_until
        record(
            "login_failed",
            "user",
            str(user.id),
            actor_id=user.id,
            device_id=device_id,
            after={"failed_logins": user.failed_logins, "locked": user.locked_until is not None},
        )
        _count_address_failure(address, policy, now)
        db.session.commit()
        raise _bad_credentials()
    if not user.active:
        db.session.rollback()
        raise Unauthorized("This account is disabled.", code="account_disabled")
    if user.failed_logins or user.locked_until:
        user.failed_logins, user.locked_until = 0, None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    tokens = _issue(user, uuid.uuid4(), policy)
    record("login", "user", str(user.id), actor_id=user.id, device_id=device_id)
    db.session.commit()
    return tokens


def _family_ended(token: RefreshToken, user: User) -> bool:
    """Whether the login this token descends from began before the account's sessions ended."""
    if user.sessions_since is None:
        return False
    began = db.session.scalar(
        select(func.min(RefreshToken.issued_at)).where(RefreshToken.family == token.family)
    )
    return began < user.sessions_since


def _family_revoked(family: str) -> bool:
    return db.session.get(Revocation, family) is not None


def _revoke(key: str, kind: str, reason: str, expires_at: datetime) -> None:
    if db.session.get(Revocation, key) is None:
        db.session.add(Revocation(key=key, kind=kind, reason=reason, expires_at=expires_at))
        announce_auth_change()


def refresh(claims: dict, policy: LoginPolicy) -> dict:
    """Rotate a refresh token. Presenting one that was already rotated means it leaked: the whole
    family (every session descended from that login) is revoked."""
    token = db.session.execute(
        select(RefreshToken).where(RefreshToken.jti == uuid.UUID(claims["jti"])).with_for_update()
    ).scalar_one_or_none()
    user = db.session.get(User, token.user_id) if token is not None else None
    if user is not None and not user.active:
        db.session.rollback()
        raise Unauthorized("This account is disabled.", code="account_disabled")
    if token is None or _family_revoked(str(token.family)) or _family_ended(token, user):
        db.session.rollback()
        raise Unauthorized("The refresh token has been revoked.", code="token_revoked")
    now = _now()
    if token.used_at is not None:
        _revoke(str(token.family), "family", "refresh_reused", now + policy.refresh_lifetime)
        record(
            "refresh_reused",
            "user",
            str(token.user_id),
            actor_id=token.user_id,
            after={"family": str(token.family)},
        )
        db.session.commit()
        raise Unauthorized(
            "This refresh token was already used; every session of that login is now signed out.",
            code="token_reused",
        )
    token.used_at = now
    tokens = _issue(user, token.family, policy)
    db.session.commit()
    return tokens


def logout(principal: Principal, claims: dict, policy: LoginPolicy) -> None:
    """Revoke the token family of this login: its access and refresh tokens stop working."""
    now = _now()
    _revoke(claims["jti"], "token", "logout", datetime.fromtimestamp(claims["exp"], UTC))
    _revoke(claims["fam"], "family", "logout", now + policy.refresh_lifetime)
    record("logout", "user", str(principal.user_id), actor_id=principal.user_id)
    db.session.commit()


_PRINCIPAL_SQL = text(
    """
    SELECT u.id, u.username, u.role, u.active,
           ARRAY(SELECT a.code || ':' || a.prefix FROM user_areas ua
                 JOIN areas a ON a.code = ua.area_code
                 WHERE ua.user_id = u.id ORDER BY a.code) AS areas,
           EXISTS (SELECT 1 FROM revocations r WHERE r.key IN (:jti, :fam))
           OR (SELECT min(t.issued_at) FROM refresh_tokens t
               WHERE t.family = CAST(:fam AS uuid)) < u.sessions_since AS revoked
    FROM users u WHERE u.id = :uid
    """
)


def load_principal(claims: dict) -> Principal:
    """The user behind a verified access token, in one round trip, or Unauthorized when the
    token was revoked or the account disabled since it was issued."""
    row = db.session.execute(
        _PRINCIPAL_SQL, {"uid": int(claims["sub"]), "jti": claims["jti"], "fam": claims["fam"]}
    ).one_or_none()
    if row is None or not row.active:
        raise Unauthorized("This account no longer exists or is disabled.", code="account_disabled")
    if row.revoked:
        raise Unauthorized("The token has been revoked.", code="token_revoked")
    areas = tuple(tuple(a.split(":")) for a in row.areas)
    return Principal(row.id, row.username, row.role, areas, claims["fam"])


def prune_revocations() -> int:
    """Forget revocations of tokens that have expired anyway."""
    deleted = db.session.execute(
        Revocation.__table__.delete().where(Revocation.expires_at < _now())
    ).rowcount
    db.session.execute(RefreshToken.__table__.delete().where(RefreshToken.expires_at < _now()))
    db.session.commit()
    return deleted


def prune_address_failures(window: timedelta) -> int:
    """Forget the failure counts of addresses whose window has ended, and of names without an
    account that have not failed for UNKNOWN_NAME_MEMORY."""
    table = AddressFailures.__table__
    deleted = db.session.execute(
        table.delete().where(table.c.window_start <= _now() - window)
    ).rowcount
    names = UnknownNameFailures.__table__
    db.session.execute(names.delete().where(names.c.last_failed_at <= _now() - UNKNOWN_NAME_MEMORY))
    db.session.commit()
    return deleted
