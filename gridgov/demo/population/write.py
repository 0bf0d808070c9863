"""The plan into the database with COPY, one ordinary statement per chunk (the statistics
triggers see each chunk as one statement). Persons commit together with their residences, so an
interrupted run leaves no one without a home."""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from gridgov.crypto import Vault
from gridgov.demo.population.plan import Plan
from gridgov.demo.population.rows import (
    HOUSE_COLUMNS,
    PERSON_COLUMNS,
    RENTAL_COLUMNS,
    RESIDENCE_COLUMNS,
    house_rows,
    person_rows,
)

CHUNK = 50_000


def store(
    session: Session,
    vault: Vault,
    plan: Plan,
    rng: np.random.Generator,
    progress: Callable[[str], None],
) -> tuple[int, int]:
    """Write buildings, houses, rentals, persons and residences; returns the number of rentals
    and of closed (earlier) residences."""
    writer = _Writer(session, progress)
    rentals = writer.write_houses(plan, partial(house_rows, plan, vault, rng))
    closed = writer.write_people(len(plan.people.birth), partial(person_rows, plan, vault))
    return rentals, closed


class _Writer:
    """COPY rows into the database, chunk by chunk."""

    def __init__(self, session: Session, progress: Callable[[str], None]):
        self.session, self.progress = session, progress

    def _raw(self):
        return self.session.connection().connection.dbapi_connection

    def _ids(self, table: str, count: int) -> np.ndarray:
        cur = self._raw().cursor()
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (table, count),
        )
        return np.array([r[0] for r in cur.fetchall()], np.int64)

    def _copy(self, table: str, columns: str, lines) -> None:
        with self._raw().cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            batch = []
            for line in lines:
                batch.append(line)
                if len(batch) == 5000:
                    copy.write("".join(batch))
                    batch.clear()
            if batch:
                copy.write("".join(batch))

    def _number_buildings(self, plan: Plan) -> None:
        """Building numbers after the community's highest, under the lock uploads take."""
        houses, cells = plan.houses, plan.cells
        communities = sorted(set(cells.communities))
        self.session.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtext('buildings:' || c)) "
                "FROM unnest(CAST(:c AS text[])) c"
            ),
            {"c": communities},
        )
        top = dict(
            self.session.execute(
                text(
                    "SELECT community_code, max(number) FROM buildings "
                    "WHERE community_code = ANY(:c) GROUP BY 1"
                ),
                {"c": communities},
            ).all()
        )
        following = {c: top.get(c) or 0 for c in communities}
        lines = []
        for b, cell in enumerate(houses.b_cell.tolist()):
            community = cells.communities[cell]
            following[community] += 1
            houses.b_number[b] = following[community]
            lines.append(
                f"{community}\t{following[community]}\t{houses.b_compound[b]}\t"
                f"{houses.b_label[b]}\n"
            )
        if max(following.values()) > 99999:
            raise RuntimeError("a community ran out of 5-digit building numbers")
        self._copy("buildings", "community_code, number, compound, building", lines)
        self.session.commit()

    def _prepared(self, table: str, total: int, prepare):
        """(end, rows) of each chunk; the next chunk's rows are made (sealed, formatted) in a
        second thread while the server takes in this one."""
        with ThreadPoolExecutor(max_workers=1) as pool:

            def submit(a: int):
                b = min(total, a + CHUNK)
                return b, pool.submit(prepare, a, b, self._ids(table, b - a))

            pending = submit(0)
            while True:
                b, future = pending
                rows = future.result()
                if b < total:
                    pending = submit(b)
                yield b, rows
                if b == total:
                    return

    def write_houses(self, plan: Plan, rows) -> int:
        """Buildings, then houses with their rentals; returns the number of rentals."""
        self._number_buildings(plan)
        h = len(plan.houses.building)
        rentals = 0
        started = time.monotonic()
        for b, (house_lines, rental_lines) in self._prepared("houses", h, rows):
            self._copy("houses", HOUSE_COLUMNS, house_lines)
            self._copy("rentals", RENTAL_COLUMNS, rental_lines)
            rentals += len(rental_lines)
            self.session.commit()
            self.progress(f"houses {b:,}/{h:,} ({b / (time.monotonic() - started):,.0f}/s)")
        return rentals

    def write_people(self, n: int, rows) -> int:
        """Persons and their residences, committed together per chunk; returns the number of
        closed (earlier) residences."""
        closed = 0
        started = time.monotonic()
        for b, (person_lines, residence_lines) in self._prepared("persons", n, rows):
            self._copy("persons", PERSON_COLUMNS, person_lines)
            self._copy("residences", RESIDENCE_COLUMNS, residence_lines)
            closed += len(residence_lines) - len(person_lines)
            self.session.commit()
            self.progress(f"persons {b:,}/{n:,} ({b / (time.monotonic() - started):,.0f}/s)")
        return closed
