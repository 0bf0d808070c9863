"""The SQL of the statistics. Each query yields rows of (child area code, measure, key, n) for the
areas of one level below a code prefix, so the fast path and the recount can be compared row by
row. Measures and keys are those of stat_person_keys() and stat_house_keys() (migration 0003),
with birth months already folded into age bands for the day asked."""

from datetime import date

from sqlalchemy import text

from gridgov.hierarchy.models import CODE_LENGTH, PREFIX_LENGTH


def child_code(column: str, level: str) -> str:
    """SQL for the code of the area of `level` that holds the grid cell in `column`."""
    if level == "grid":
        return column
    n, padding = PREFIX_LENGTH[level], "0" * (CODE_LENGTH[level] - PREFIX_LENGTH[level])
    return f"left({column}, {n}) || '{padding}'" if padding else f"left({column}, {n})"


# Age in completed years counted by birth month, as the census counts it: on a day of month M
# someone born in month B is (M - B) // 12, so each band begins at a birth month ('YYYY-MM' keys
# sort by date) and a comparison per row places it.
def band_of(month: str) -> str:
    """SQL for the age band of a 'YYYY-MM' birth month, with band_limits() as parameters."""
    return (
        f"CASE WHEN {month} > :born6 THEN '0-5' WHEN {month} > :born18 THEN '6-17' "
        f"WHEN {month} > :born60 THEN '18-59' WHEN {month} > :born80 THEN '60-79' ELSE '80+' END"
    )


BANDED_KEY = f"CASE WHEN measure <> 'birth' THEN key ELSE {band_of('key')} END"


def per_child(stmt) -> str:
    """A counting query's rows folded into one JSON object per child area, {measure: {key: n}}:
    parsing one JSON value a child costs far less than thousands of rows through the driver."""
    return (
        "SELECT child, json_object_agg(measure, keys) FROM ("
        "  SELECT child, measure, json_object_agg(key, n) AS keys"
        f"  FROM ({stmt.text}) rows (child, measure, key, n) GROUP BY child, measure"
        ") m GROUP BY child"
    )


def band_limits(day: date) -> dict[str, str]:
    """The last birth month before each band's first, on a day: the parameters of BANDED_KEY."""
    index = day.year * 12 + day.month - 1
    limits = {}
    for age in (6, 18, 60, 80):
        year, month = divmod(index - 12 * age, 12)
        limits[f"born{age}"] = f"{year:04d}-{month + 1:02d}"
    return limits


def live(level: str):
    """Today's counts: folded totals, the age bands of this month, and the deltas not folded."""
    return text(
        f"""
        SELECT child, measure, key, sum(n) AS n FROM (
          SELECT area_code AS child, measure, key, n FROM stat_totals
          WHERE level = :level AND area_code LIKE :prefix || '%'
          UNION ALL
          SELECT area_code, 'birth', band, n FROM stat_bands
          WHERE month = :month AND level = :level AND area_code LIKE :prefix || '%'
          UNION ALL
          SELECT {child_code("grid_code", level)}, measure, {BANDED_KEY}, n FROM stat_pending
          WHERE grid_code LIKE :prefix || '%'
        ) raw GROUP BY 1, 2, 3 HAVING sum(n) <> 0
        """
    )


def _present(day: str) -> str:
    """Residences open on a day, with the cell their house lay in that day."""
    return f"""
      SELECT g.grid_code, r.house_id, r.person_id FROM residences r
      JOIN house_grids g ON g.house_id = r.house_id
       AND g.valid_from <= {day} AND coalesce(g.valid_to, 'infinity') > {day}
      WHERE r.moved_in <= {day} AND coalesce(r.moved_out, 'infinity') > {day}
        AND g.grid_code LIKE :prefix || '%'
    """


def recount(level: str):
    """The counts on a day from the records themselves: who lived where (dated residences, the
    cell of each house on that day) and which houses stood. The truth the live counts are
    checked against, and what a past day's snapshot is made of. Attributes (kind, origin,
    rented) are those recorded when it runs."""
    return text(
        f"""
        WITH present AS MATERIALIZED ({_present(":day")}),
        people AS (
          SELECT {child_code("x.grid_code", level)} AS child,
                 p.kind, p.origin_code, p.inflow_reason,
                 to_char(p.birth_date, 'YYYY-MM') AS born
          FROM present x JOIN persons p ON p.id = x.person_id),
        occupancy AS (SELECT house_id, count(*) AS n FROM present GROUP BY 1),
        standing AS (
          SELECT {child_code("g.grid_code", level)} AS child,
                 h.rented, coalesce(o.n, 0)::int AS occupants
          FROM house_grids g JOIN houses h ON h.id = g.house_id
          LEFT JOIN occupancy o ON o.house_id = g.house_id
          WHERE g.valid_from <= :day AND coalesce(g.valid_to, 'infinity') > :day
            AND g.grid_code LIKE :prefix || '%'
            AND (h.deleted_at IS NULL OR h.deleted_at >= :day + 1))
        SELECT child, 'kind', kind, count(*) FROM people GROUP BY 1, 3
        UNION ALL
        SELECT child, 'origin', coalesce(left(origin_code, 2), '00'), count(*) FROM people
        WHERE kind = 'floating' GROUP BY 1, 3
        UNION ALL
        SELECT child, 'reason', coalesce(inflow_reason, '00'), count(*) FROM people
        WHERE kind = 'floating' GROUP BY 1, 3
        UNION ALL
        SELECT child, 'birth', {band_of("born")}, count(*) FROM people GROUP BY 1, 3
        UNION ALL
        SELECT child, 'houses', occupants::text, count(*) FROM standing GROUP BY 1, 3
        UNION ALL
        SELECT child, 'rentals', occupants::text, count(*) FROM standing WHERE rented
        GROUP BY 1, 3
        """
    )


def _cell(residence: str, on: str) -> str:
    """SQL: the cell a residence's house lay in on a day (its latest cell begun by then; the
    key of house_grids finds it in one probe)."""
    return (
        f"(SELECT hg.grid_code FROM house_grids hg WHERE hg.house_id = {residence}.house_id "
        f"AND hg.valid_from <= {on} ORDER BY hg.valid_from DESC LIMIT 1)"
    )


def flows(level: str):
    """Arrivals and departures between two days (inclusive). A move between two houses of the
    same area is neither: only residences that begin or end across the area's edge count."""
    length = PREFIX_LENGTH[level]
    return text(
        f"""
        WITH arrived AS MATERIALIZED (
          SELECT {_cell("r", "r.moved_in")} AS cell,
                 (SELECT {_cell("b", "b.moved_out - 1")} FROM residences b
                  WHERE b.person_id = r.person_id AND b.moved_out = r.moved_in LIMIT 1) AS came
          FROM residences r WHERE r.moved_in BETWEEN :start AND :stop),
        departed AS MATERIALIZED (
          SELECT {_cell("r", "r.moved_out - 1")} AS cell,
                 (SELECT {_cell("a", "a.moved_in")} FROM residences a
                  WHERE a.person_id = r.person_id AND a.moved_in = r.moved_out LIMIT 1) AS went
          FROM residences r WHERE r.moved_out BETWEEN :start AND :stop)
        SELECT {child_code("cell", level)} AS child, 'arrivals' AS measure, '' AS key,
               count(*) AS n
        FROM arrived WHERE cell LIKE :prefix || '%'
          AND left(cell, {length}) IS DISTINCT FROM left(came, {length})
        GROUP BY 1
        UNION ALL
        SELECT {child_code("cell", level)}, 'departures', '', count(*)
        FROM departed WHERE cell LIKE :prefix || '%'
          AND left(cell, {length}) IS DISTINCT FROM left(went, {length})
        GROUP BY 1
        """
    )


def snapshot(level: str):
    """A past day's counts, as store.snapshot() kept them."""
    return text(
        """
        SELECT area_code, measure, key, n FROM stat_snapshots
        WHERE day = :day AND level = :level AND area_code LIKE :prefix || '%'
        """
    )


# People by kind in one area on counted past days.
SNAPSHOT_KINDS = text(
    """
    SELECT day, key, n FROM stat_snapshots
    WHERE day = ANY(:days) AND level = :level AND area_code = :code AND measure = 'kind'
    """
)

# People by kind in the area at the end of each month, for days not counted yet: the count
# before the range plus the running sum of arrivals and departures, from one pass over the
# area's residences, each cut at the dates its house changed cell (a redraw moves people out
# of the old cell and into the new one on its effective date, as as_of counts them).
SERIES = text(
    """
    WITH cells AS MATERIALIZED (
      SELECT house_id, valid_from, coalesce(valid_to, 'infinity') AS valid_to FROM house_grids
      WHERE grid_code LIKE :prefix || '%'),
    spans AS (
      SELECT greatest(r.moved_in, g.valid_from) AS began,
             least(coalesce(r.moved_out, 'infinity'), g.valid_to) AS ended, p.kind
      FROM cells g
      JOIN residences r ON r.house_id = g.house_id
       AND g.valid_from < coalesce(r.moved_out, 'infinity') AND g.valid_to > r.moved_in
      JOIN persons p ON p.id = r.person_id),
    events AS (
      SELECT kind, began AS day, 1 AS n FROM spans WHERE began <= :stop AND ended > :start
      UNION ALL
      SELECT kind, ended, -1 FROM spans WHERE began <= :stop AND ended > :start AND ended <= :stop)
    SELECT kind, greatest(date_trunc('month', day)::date, :start) AS month, sum(n) AS n
    FROM events GROUP BY 1, 2 ORDER BY 2
    """
)
