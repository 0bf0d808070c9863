"""What the database must hold before a population can be added: the code tables the generator
draws from, and the grid cells in force."""

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gridgov.codes.models import Code
from gridgov.demo.population.plan import Cells
from gridgov.errors import NotFound
from gridgov.hierarchy.models import Area
from gridgov.hierarchy.service import valid_on

USED_CODES = {
    "house_use": {"01", "02", "06", "07"},
    "house_structure": {"01", "02", "03"},
    "rental_use": {"01", "02", "06"},
    "hazard": {"01", "02", "03", "04", "05", "07"},
    "inflow_reason": {"01", "03", "04", "05", "06", "07", "09"},
    "residence_type": {"01", "02", "04", "05"},
    "relationship": {"02", "10", "20", "30", "40", "50", "99"},
    "capture_method": {"card_reader", "typed"},
    "ethnicity": {"01", "03", "06", "08", "11", "12", "13", "15"},
    "education": {"20", "30", "40", "60", "70", "80"},
    "marital_status": {"10", "20"},
    "certificate_type": {"01", "02"},
    "intended_stay": {"4", "5"},
}


def check_codes(session: Session) -> None:
    """Refuse to start unless every code the generator uses is in force."""
    current = set(
        session.execute(select(Code.table_name, Code.code).where(Code.valid_to.is_(None))).all()
    )
    missing = sorted(
        f"{table}:{code}"
        for table, codes in USED_CODES.items()
        for code in codes
        if (table, code) not in current
    )
    if missing:
        raise NotFound(
            f"Code tables lack {', '.join(missing[:5])}; run flask codes load first.",
            code="codes_missing",
        )


def grid_cells(session: Session, county: str) -> Cells:
    """The district's grid cells in force, with their community, type and area in m²."""
    rows = session.execute(
        select(
            Area.code,
            Area.parent_code,
            Area.grid_type,
            text("ST_Area(areas.geom::geography)"),
        )
        .where(
            Area.level == "grid",
            Area.code.like(county + "%"),
            Area.geom.is_not(None),
            valid_on(),
        )
        .order_by(Area.code)
    ).all()
    if not rows:
        raise NotFound(
            f"No grid cells of {county} are in force; load the district's cells first.",
            code="no_grid_cells",
        )
    return Cells(
        codes=[r[0] for r in rows],
        communities=[r[1] for r in rows],
        dedicated=np.array([r[2] == "dedicated" for r in rows]),
        area=np.array([r[3] for r in rows], float),
    )
