"""Import every model so the metadata (and Alembic) sees all tables."""

from gridgov.accounts.models import User, UserArea  # noqa: F401
from gridgov.audit.models import AuditEvent  # noqa: F401
from gridgov.auth.models import RefreshToken, Revocation  # noqa: F401
from gridgov.hierarchy.models import Area  # noqa: F401
