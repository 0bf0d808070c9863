"""Import every model so the metadata (and Alembic) sees all tables."""

from gridgov.accounts.models import User, UserArea  # noqa: F401
from gridgov.audit.models import AuditEvent  # noqa: F401
from gridgov.auth.models import RefreshToken, Revocation  # noqa: F401
from gridgov.codes.models import Code  # noqa: F401, E402
from gridgov.declarations.models import (  # noqa: F401
    Declaration,
    DeclarationEvent,
    TriageRule,
    TriageRuleSet,
)
from gridgov.feed.models import Change  # noqa: F401
from gridgov.hierarchy.models import Area  # noqa: F401
from gridgov.houses.models import Building, House, Rental  # noqa: F401, E402
from gridgov.people.models import Person, Residence  # noqa: F401, E402
from gridgov.redraw.models import Lineage, Proposal, ProposalBlock, ProposalHouse  # noqa: F401
from gridgov.stats.models import (  # noqa: F401, E402
    HouseGrid,
    StatBand,
    StatBirth,
    StatPending,
    StatSnapshot,
    StatSnapshotDay,
    StatTotal,
)
from gridgov.sync.models import Conflict, PruneCutoff, SyncRecord  # noqa: F401
from gridgov.visits.models import VisitResult, VisitTask  # noqa: F401
