"""Log in, refresh, log out, and who am I."""

from datetime import timedelta

from flask import current_app, request
from flask_jwt_extended import get_jwt, jwt_required

from gridgov.auth import schemas, service
from gridgov.extensions import Blueprint
from gridgov.scope.guard import authenticated, current_claims, current_principal

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Tokens")


def _policy() -> service.LoginPolicy:
    config = current_app.config
    return service.LoginPolicy(
        max_failures=config["GRIDGOV_LOGIN_MAX_FAILURES"],
        lock_seconds=config["GRIDGOV_LOGIN_LOCK_SECONDS"],
        refresh_lifetime=config["JWT_REFRESH_TOKEN_EXPIRES"],
        address_max_failures=config["GRIDGOV_LOGIN_ADDRESS_MAX_FAILURES"],
        address_window=timedelta(seconds=config["GRIDGOV_LOGIN_ADDRESS_WINDOW_SECONDS"]),
    )


@blp.post("/login")
@blp.arguments(schemas.LoginSchema)
@blp.arguments(schemas.DeviceHeaderSchema, location="headers")
@blp.response(200, schemas.TokensSchema)
@blp.doc(security=[])
def login(args, headers):
    """Exchange a username and password for an access token and a refresh token."""
    return service.login(
        args["username"],
        args["password"],
        _policy(),
        device_id=headers.get("device_id"),
        address=request.remote_addr,
    )


@blp.post("/refresh")
@jwt_required(refresh=True)
@blp.response(200, schemas.TokensSchema)
def refresh():
    """Send the refresh token as the bearer token; get a new pair. Each refresh token works once."""
    return service.refresh(get_jwt(), _policy())


@blp.post("/logout")
@authenticated()
@blp.response(204)
def logout():
    """Revoke this login's access and refresh tokens."""
    service.logout(current_principal(), current_claims(), _policy())


@blp.get("/me")
@authenticated()
@blp.response(200, schemas.MeSchema)
def me():
    """The account behind the token, with its role and areas."""
    return current_principal()
