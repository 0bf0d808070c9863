"""The one place where a request's bearer token becomes a Principal."""

import time
from functools import lru_cache, wraps
from types import MappingProxyType

from flask import current_app, g, request
from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import NoAuthorizationError, WrongTokenError
from jwt import ExpiredSignatureError

from gridgov.errors import Forbidden, Unauthorized, error_response
from gridgov.extensions import AUTOCOMMIT
from gridgov.scope import Principal

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@lru_cache(maxsize=4096)
def _verified(token: str) -> MappingProxyType:
    # Checking a signature costs more than the rest of a small request; the same token string
    # always verifies the same way, so a verified token is remembered (its expiry is not).
    return MappingProxyType(decode_token(token))


def access_claims(header: str) -> MappingProxyType:
    """The claims of the access token in an Authorization header; raises if there is none,
    or it is expired, forged or not an access token."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NoAuthorizationError("Missing Bearer token in the Authorization header")
    claims = _verified(token.strip())
    if claims["exp"] + current_app.config["JWT_DECODE_LEEWAY"] < time.time():
        raise ExpiredSignatureError("Signature has expired")
    if claims.get("type") != "access" or "fam" not in claims:
        raise WrongTokenError("Only access tokens are allowed")
    return claims


def principal_of(claims) -> Principal:
    """Who the verified claims belong to, as of now (cached per worker, see scope.cache)."""
    cache = current_app.extensions["principal_cache"]
    key = (claims["sub"], claims["jti"], claims["fam"])
    principal = cache.get(key)
    if principal is None:
        generation = cache.generation
        principal = cache.load(claims)
        cache.put(key, principal, generation)
    return principal


def authenticated(*roles: str):
    """Require a valid, unrevoked access token; with roles, require one of them."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            claims = access_claims(request.headers.get("Authorization", ""))
            if request.method in SAFE_METHODS:
                request.environ[AUTOCOMMIT] = True
            principal = principal_of(claims)
            if roles and principal.role not in roles:
                raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
            g.principal, g.claims = principal, claims
            return view(*args, **kwargs)

        return wrapper

    return decorate


def current_principal() -> Principal:
    return g.principal


def current_claims() -> MappingProxyType:
    return g.claims


def register_token_errors(jwt) -> None:
    """Token problems as problem+json, each with its own stable code."""

    def fail(code: str, detail: str):
        headers = {"WWW-Authenticate": "Bearer"}
        return error_response(Unauthorized(detail, code=code, headers=headers))

    jwt.unauthorized_loader(lambda reason: fail("missing_token", "A bearer token is required."))
    jwt.expired_token_loader(
        lambda header, payload: fail("token_expired", "The token has expired.")
    )
    jwt.invalid_token_loader(
        lambda reason: fail("invalid_token", f"The token is invalid: {reason}.")
    )
    jwt.token_verification_failed_loader(
        lambda header, payload: fail("invalid_token", "The token failed verification.")
    )
