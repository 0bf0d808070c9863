"""Account administration (admins only)."""

from gridgov.accounts import schemas, service
from gridgov.extensions import Blueprint
from gridgov.scope.guard import authenticated, current_principal

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Accounts")


@blp.get("")
@authenticated("admin")
@blp.response(200, schemas.UserSchema(many=True))
def list_users():
    """Every account, by username."""
    return service.list_users()


@blp.post("")
@authenticated("admin")
@blp.arguments(schemas.UserCreateSchema)
@blp.response(201, schemas.UserSchema)
def create_user(args):
    """Create an account bound to areas at its role's level (grid, street or district)."""
    return service.create_user(
        current_principal().user_id,
        args["username"],
        args["password"],
        args["role"],
        args["area_codes"],
        args["display_name"],
    )


@blp.get("/<int(max=2147483647):user_id>")
@authenticated("admin")
@blp.response(200, schemas.UserSchema)
def get_user(user_id):
    return service.get_user(user_id)


@blp.patch("/<int(max=2147483647):user_id>")
@authenticated("admin")
@blp.arguments(schemas.UserPatchSchema)
@blp.response(200, schemas.UserSchema)
def update_user(args, user_id):
    """Change role and areas, disable, reset the password or unlock after failed logins."""
    return service.update_user(current_principal().user_id, user_id, args)
