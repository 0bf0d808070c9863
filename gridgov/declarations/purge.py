"""Personal fields of closed declarations are kept only as long as needed: after the keeping
period they are erased, the decision (state, route, rule, dates, reason) kept."""

from sqlalchemy import func, update

from gridgov.audit.service import record
from gridgov.clock import district_today
from gridgov.declarations.models import Declaration
from gridgov.extensions import db

PERSONAL = ("id_index", "id_masked", "name_masked", "body_sealed", "diff", "address_hash")


def purge(today=None) -> int:
    """Erase the personal fields of every declaration whose keeping period has ended."""
    today = today or district_today()
    result = db.session.execute(
        update(Declaration)
        .where(
            Declaration.purge_after <= today,
            Declaration.purged_at.is_(None),
        )
        .values({**dict.fromkeys(PERSONAL), "purged_at": func.now()})
    )
    record("purge_declarations", "declarations", None, after={"purged": result.rowcount})
    db.session.commit()
    return result.rowcount
