"""The SQL of the statistics. Each query yields rows of (child area code, measure, key, n) for the
areas of one level below a code prefix, so the fast path and the recount can be compared row by
row. Measures and keys are those of stat_person_keys() and stat_house_keys() (migration 0003),
with birth months already folded into age bands for the day asked."""

from datetime import date

from sqlalchemy import text

PREFIX_LENGTH = {"district": 6, "street": 9, "community": 12, "grid": 15}


def child_code(column: str, level: str) -> str:
    """SQL for the code of the area of `level` that holds the grid cell in `column`."""
    return {
        "district": f"left({column}, 6) || '000000'",
        "street": f"left({column}, 9) || '000'",
        "community": f"left({column}, 12)",
        "grid": column,
    }[level]


# Age in completed years counted by birth month, as the census counts it: on a day of month M
# someone born in month B is (M - B) // 12, so each band begins at a birth month ('YYYY-MM' keys
# sort by date) and a comparison per row places it.
BANDED_KEY = (
    "CASE WHEN measure <> 'birth' THEN key WHEN key > :born6 THEN '0-5' "
    "WHEN key > :born18 THEN '6-17' WHEN key > :born60 THEN '18-59' "
    "WHEN key > :born80 THEN '60-79' ELSE '80+' END"
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
    """Today's counts: folded totals plus the deltas not folded yet."""
    return text(
        f"""
        SELECT child, measure, {BANDED_KEY} AS key, sum(n) AS n FROM (
          SELECT area_code AS child, measure, key, n FROM stat_totals
          WHERE level = :level AND area_code LIKE :prefix || '%'
          UNION ALL
          SELECT {child_code("grid_code", level)}, measure, key, n FROM stat_pending
          WHERE grid_code LIKE :prefix || '%'
        ) raw GROUP BY 1, 2, 3 HAVING sum(n) <> 0
        """
    ).bindparams(level=level)


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
    cell of each house on that day) and which houses stood. Used for past days and to check the
    fast path. Attributes (kind, origin, rented) are those recorded now."""
    return text(
        f"""
        WITH present AS ({_present(":day")}),
        occupancy AS (SELECT house_id, count(*) AS n FROM present GROUP BY 1),
        standing AS (
          SELECT g.grid_code, h.rented, coalesce(o.n, 0)::int AS occupants
          FROM house_grids g JOIN houses h ON h.id = g.house_id
          LEFT JOIN occupancy o ON o.house_id = g.house_id
          WHERE g.valid_from <= :day AND coalesce(g.valid_to, 'infinity') > :day
            AND g.grid_code LIKE :prefix || '%'
            AND (h.deleted_at IS NULL OR h.deleted_at >= :day + 1))
        SELECT child, measure, {BANDED_KEY} AS key, count(*) AS n FROM (
          SELECT {child_code("x.grid_code", level)} AS child, k.measure, k.key FROM present x
          JOIN persons p ON p.id = x.person_id,
          stat_person_keys(p.kind, p.origin_code, p.inflow_reason, p.birth_date) k
          UNION ALL
          SELECT {child_code("s.grid_code", level)}, k.measure, k.key FROM standing s,
          stat_house_keys(s.rented, s.occupants) k
        ) raw GROUP BY 1, 2, 3
        """
    )


def flows(level: str):
    """Arrivals and departures between two days (inclusive). A move between two houses of the
    same area is neither: only residences that begin or end across the area's edge count."""
    length = PREFIX_LENGTH[level]
    cell_on = "g.valid_from <= {d} AND coalesce(g.valid_to, 'infinity') > {d}"
    return text(
        f"""
        SELECT {child_code("g.grid_code", level)} AS child, 'arrivals' AS measure, '' AS key,
               count(*) AS n
        FROM residences r JOIN house_grids g ON g.house_id = r.house_id
         AND {cell_on.format(d="r.moved_in")}
        WHERE r.moved_in BETWEEN :start AND :stop AND g.grid_code LIKE :prefix || '%'
          AND NOT EXISTS (
            SELECT 1 FROM residences b JOIN house_grids bg ON bg.house_id = b.house_id
             AND bg.valid_from < b.moved_out AND coalesce(bg.valid_to, 'infinity') >= b.moved_out
            WHERE b.person_id = r.person_id AND b.moved_out = r.moved_in
              AND left(bg.grid_code, {length}) = left(g.grid_code, {length}))
        GROUP BY 1
        UNION ALL
        SELECT {child_code("g.grid_code", level)}, 'departures', '', count(*)
        FROM residences r JOIN house_grids g ON g.house_id = r.house_id
         AND g.valid_from < r.moved_out AND coalesce(g.valid_to, 'infinity') >= r.moved_out
        WHERE r.moved_out BETWEEN :start AND :stop AND g.grid_code LIKE :prefix || '%'
          AND NOT EXISTS (
            SELECT 1 FROM residences a JOIN house_grids ag ON ag.house_id = a.house_id
             AND {cell_on.format(d="a.moved_in").replace("g.", "ag.")}
            WHERE a.person_id = r.person_id AND a.moved_in = r.moved_out
              AND left(ag.grid_code, {length}) = left(g.grid_code, {length}))
        GROUP BY 1
        """
    )


# People in the area at the end of each month: the count before the range plus the running sum
# of moves in and out, from one pass over the area's residences.
SERIES = text(
    """
    WITH spans AS (
      SELECT r.moved_in, r.moved_out, p.kind FROM residences r
      JOIN persons p ON p.id = r.person_id
      JOIN house_grids g ON g.house_id = r.house_id
       AND g.valid_from <= r.moved_in AND coalesce(g.valid_to, 'infinity') > r.moved_in
      WHERE g.grid_code LIKE :prefix || '%' AND r.moved_in <= :stop
        AND coalesce(r.moved_out, 'infinity') > :start),
    events AS (
      SELECT kind, moved_in AS day, 1 AS n FROM spans
      UNION ALL
      SELECT kind, moved_out, -1 FROM spans WHERE moved_out <= :stop)
    SELECT kind, greatest(date_trunc('month', day)::date, :start) AS month, sum(n) AS n
    FROM events GROUP BY 1, 2 ORDER BY 2
    """
)
