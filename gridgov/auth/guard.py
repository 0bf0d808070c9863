"""The one place where a request's bearer token becomes a Principal."""

from functools import wraps

from flask import g
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from gridgov.auth.scope import Principal
from gridgov.auth.service import load_principal
from gridgov.errors import Forbidden, Unauthorized, error_response


def authenticated(*roles: str):
    """Require a valid, unrevoked access token; with roles, require one of them."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request()
            principal = load_principal(get_jwt())
            if roles and principal.role not in roles:
                raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
            g.principal = principal
            return view(*args, **kwargs)

        return wrapper

    return decorate


def current_principal() -> Principal:
    return g.principal


def register_token_errors(jwt) -> None:
    """Token problems as problem+json, each with its own stable code."""

    def fail(code: str, detail: str):
        return error_response(
            Unauthorized(detail, code=code, headers={"WWW-Authenticate": "Bearer"})
        )

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
