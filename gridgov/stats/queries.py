"""The SQL of the statistics. Each counting query yields rows of (child area code, measure, key,
n) for the areas of one level below a code prefix, so the fast path and the recount can be
compared row by row (today's one-statement read, `today`, tags its rows apart). Measures and
keys are those of stat_person_keys() and stat_house_keys() (migration 0003), with birth months
already folded into age bands for the day asked."""

from functools import cache

from sqlalchemy import text

from gridgov.hierarchy.models import CODE_LENGTH, PREFIX_LENGTH


def child_code(column: str, level: str) -> str:
    """SQL for the code of the area of `level` that holds the grid cell in `column`."""
    if level == "grid":
        return column
    n, padding = PREFIX_LENGTH[level], "0" * (CODE_LENGTH[level] - PREFIX_LENGTH[level])
    return f"left({column}, {n}) || '{padding}'" if padding else f"left({column}, {n})"


def band_of(month: str, day: str = ":day") -> str:
    """SQL for the age band on a day of a 'YYYY-MM' birth month (stat_age_band, migration 0012,
    is the one definition of the bands)."""
    return f"stat_age_band({month}, CAST({day} AS date))"


BANDED_KEY = f"CASE WHEN measure <> 'birth' THEN key ELSE {band_of('key')} END"


def per_child(stmt) -> str:
    """A counting query's rows folded into one JSON object per child area, {measure: {key: n}},
    as text: parsing one JSON value a child (by orjson) costs far less than thousands of rows
    through the driver."""
    return (
        "SELECT child, CAST(json_object_agg(measure, keys) AS text) FROM ("
        "  SELECT child, measure, json_object_agg(key, n) AS keys"
        f"  FROM ({stmt.text}) rows (child, measure, key, n) GROUP BY child, measure"
        ") m GROUP BY child"
    )


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


# Whether a fold is due: more pending rows than :n, or no bands yet for this month (:month)
# while there are births to band. (Asked of the database, not remembered in the process: what
# a worker remembers outlives what it describes.)
DUE = """
    SELECT (SELECT count(*) FROM (SELECT 1 FROM stat_pending LIMIT :n + 1) p) > :n
        OR (NOT EXISTS (SELECT 1 FROM stat_bands WHERE month >= :month)
            AND EXISTS (SELECT 1 FROM stat_births))
"""


# (code, name) of the areas of a level below a prefix in force on :day (valid_on()'s test,
# hierarchy.service, written out so today's read can take it into its one statement).
CHILDREN = text(
    """
    SELECT code, name FROM areas WHERE level = :level AND code LIKE :prefix || '%'
      AND valid_from <= :day AND (valid_to IS NULL OR valid_to > :day)
    """
)


@cache
def today(level: str, names: bool, due: bool):
    """Today's counts of each area of a level below a prefix, read in one statement: one
    snapshot (read apart, a fold committing in between would leave its deltas out of both) and
    one round trip. Rows of (what, area code, month, text): 'counts', each area's row as folded
    ({measure: {key: n}} as JSON, births banded for its month; migration 0017); 'pending', its
    deltas not folded yet, as JSON alike; with `names`, 'name', each area's (CHILDREN); with
    `due`, one 'due' row, whether a fold is due first (DUE)."""
    pending = (
        f"SELECT {child_code('grid_code', level)}, measure, {BANDED_KEY}, sum(n) FROM stat_pending"
        " WHERE grid_code LIKE :prefix || '%' GROUP BY 1, 2, 3 HAVING sum(n) <> 0"
    )
    parts = [
        "SELECT 'counts', area_code, month, CAST(counts AS text) FROM stat_area_counts"
        " WHERE level = :level AND area_code LIKE :prefix || '%'",
        f"SELECT 'pending', child, NULL, keys FROM ({per_child(text(pending))}) p (child, keys)",
    ]
    if names:
        parts.append(f"SELECT 'name', code, NULL, name FROM ({CHILDREN.text}) c")
    if due:
        parts.append(f"SELECT 'due', NULL, NULL, CAST(({DUE}) AS text)")
    return text(" UNION ALL ".join(parts))


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
    cell of each house on that day) and which houses stood. The truth the live counts and the
    kept days are checked against, in one pass of its own over every residence of the area.
    Attributes (kind, origin, rented) are those recorded when it runs; the keys are those of
    stat_person_facts() and stat_house_keys() (migrations 0003 and 0012), as the triggers
    count them."""
    return text(
        f"""
        WITH present AS MATERIALIZED ({_present(":day")}),
        occupancy AS (SELECT house_id, count(*) AS n FROM present GROUP BY 1)
        SELECT {child_code("x.grid_code", level)}, f.measure, f.key, count(*)
        FROM present x JOIN persons p ON p.id = x.person_id,
             stat_person_facts(p.kind, p.origin_code, p.inflow_reason, p.birth_date,
                               CAST(:day AS date)) f
        GROUP BY 1, 2, 3
        UNION ALL
        SELECT {child_code("g.grid_code", level)}, k.measure, k.key, count(*)
        FROM house_grids g JOIN houses h ON h.id = g.house_id
        LEFT JOIN occupancy o ON o.house_id = g.house_id,
             stat_house_keys(h.rented, coalesce(o.n, 0)::int) k
        WHERE g.valid_from <= :day AND coalesce(g.valid_to, 'infinity') > :day
          AND g.grid_code LIKE :prefix || '%'
          AND (h.deleted_at IS NULL OR h.deleted_at >= CAST(:day AS date) + 1)
        GROUP BY 1, 2, 3
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


def kept(level: str):
    """A kept month end's counts (:anchor), as the triggers of migration 0012 keep them."""
    return text(
        """
        SELECT area_code, measure, key, n FROM stat_snapshots
        WHERE day = :anchor AND level = :level AND area_code LIKE :prefix || '%' AND n <> 0
        """
    )


# People by kind in one area on kept days.
SNAPSHOT_KINDS = text(
    """
    SELECT day, key, n FROM stat_snapshots
    WHERE day = ANY(:days) AND level = :level AND area_code = :code AND measure = 'kind'
    """
)


# The grid-level rows that turn the counts of day :anchor into those of day :day (:lo and :hi
# are the earlier and the later of the two; the anchor's counts are banded for :band_a): each
# count taken on both days for what a dated change between them can alter, and the first
# taken from the second. A person's facts can differ only for a residence begun or ended
# between the days, one in a house whose cell changed between them, or someone whose age band
# differs between the two banding days (moved); those residences are counted on each day they
# hold. A house's keys can differ only for a house of such a residence or deleted between the
# days (touched); those houses are counted with the number living there (a count by the
# house's key, not its occupants' facts). Its work is the changes between two nearby days,
# never the district's past. OFFSET 0 keeps each look-up a probe by key per row, which the
# rough row estimates of these CTEs would otherwise trade for full scans.
SHIFT = """
WITH crossing AS MATERIALIZED (
  SELECT CAST(b AS date) AS born FROM generate_series(
      date_trunc('month', CAST(:lo AS date)) - interval '81 years',
      date_trunc('month', CAST(:hi AS date)), interval '1 month') b
  -- Ages count in months (stat_age_months): within one month no band changes, and the
  -- ~1,000 birth months are not looked at.
  WHERE date_trunc('month', CAST(:band_a AS date)) <> date_trunc('month', CAST(:day AS date))
    AND stat_age_band(to_char(b, 'YYYY-MM'), CAST(:band_a AS date))
     <> stat_age_band(to_char(b, 'YYYY-MM'), CAST(:day AS date))),
redrawn AS MATERIALIZED (
  SELECT house_id FROM house_grids WHERE valid_from > :lo AND valid_from <= :hi
  UNION
  SELECT house_id FROM house_grids WHERE valid_to > :lo AND valid_to <= :hi),
moved AS MATERIALIZED (
  SELECT id, person_id, house_id, moved_in, moved_out FROM residences
  WHERE moved_in > :lo AND moved_in <= :hi
  UNION
  SELECT id, person_id, house_id, moved_in, moved_out FROM residences
  WHERE moved_out > :lo AND moved_out <= :hi
  UNION
  SELECT r.id, r.person_id, r.house_id, r.moved_in, r.moved_out FROM redrawn t
  CROSS JOIN LATERAL (
    SELECT id, person_id, house_id, moved_in, moved_out FROM residences
    WHERE house_id = t.house_id AND moved_in <= :hi AND coalesce(moved_out, 'infinity') > :lo
    OFFSET 0) r
  UNION
  SELECT r.id, r.person_id, r.house_id, r.moved_in, r.moved_out FROM crossing c
  CROSS JOIN LATERAL (
    SELECT id FROM persons
    WHERE birth_date >= c.born AND birth_date < c.born + interval '1 month' OFFSET 0) p
  CROSS JOIN LATERAL (
    SELECT id, person_id, house_id, moved_in, moved_out FROM residences
    WHERE person_id = p.id AND moved_in <= :hi AND coalesce(moved_out, 'infinity') > :lo
    OFFSET 0) r),
touched AS MATERIALIZED (
  SELECT house_id FROM moved
  UNION
  SELECT house_id FROM redrawn
  UNION
  SELECT id FROM houses
  WHERE deleted_at >= CAST(:lo AS date) + 1 AND deleted_at < CAST(:hi AS date) + 1),
days (day, sign) AS (VALUES (CAST(:day AS date), 1), (CAST(:anchor AS date), -1)),
placed AS MATERIALIZED (
  SELECT h.id, h.rented, h.deleted_at, d.day, d.sign, g.grid_code AS cell, o.n
  FROM touched t CROSS JOIN days d
  CROSS JOIN LATERAL (SELECT id, rented, deleted_at FROM houses WHERE id = t.house_id OFFSET 0) h
  CROSS JOIN LATERAL (
    SELECT grid_code FROM house_grids WHERE house_id = t.house_id
    AND valid_from <= d.day AND coalesce(valid_to, 'infinity') > d.day OFFSET 0) g
  CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM residences WHERE house_id = t.house_id
    AND moved_in <= d.day AND coalesce(moved_out, 'infinity') > d.day) o
  WHERE g.grid_code LIKE :prefix || '%'),
present AS MATERIALIZED (
  SELECT m.person_id, p.day, p.sign, p.cell
  FROM moved m JOIN placed p ON p.id = m.house_id
  WHERE m.moved_in <= p.day AND coalesce(m.moved_out, 'infinity') > p.day),
facts AS (
  SELECT x.cell, f.measure, f.key, x.sign AS n
  FROM present x
  CROSS JOIN LATERAL (
    SELECT kind, origin_code, inflow_reason, birth_date FROM persons WHERE id = x.person_id
    OFFSET 0) p,
       stat_person_facts(p.kind, p.origin_code, p.inflow_reason, p.birth_date,
                         CASE WHEN x.sign > 0 THEN CAST(:day AS date)
                              ELSE CAST(:band_a AS date) END) f
  UNION ALL
  SELECT p.cell, k.measure, k.key, p.sign
  FROM placed p, stat_house_keys(p.rented, p.n::int) k
  WHERE p.deleted_at IS NULL OR p.deleted_at >= p.day + 1)
SELECT cell AS grid_code, measure, key, sum(n) AS n FROM facts GROUP BY 1, 2, 3
"""


def span(anchor, day, banded_as=None) -> dict:
    """The parameters of SHIFT from an anchor day's counts (banded for `banded_as`, by default
    the anchor itself) to a day's."""
    return {
        "anchor": anchor,
        "day": day,
        "lo": min(anchor, day),
        "hi": max(anchor, day),
        "band_a": banded_as or anchor,
    }


def shifted(level: str, anchor: str):
    """The counts of :day from those of the anchor (today's live counts or a kept month end in
    the same month, so both are banded alike) and the changes between."""
    rows = {"live": live(level), "kept": kept(level)}[anchor]
    return text(
        f"""
        SELECT child, measure, key, sum(n) AS n FROM (
          {rows.text}
          UNION ALL
          SELECT {child_code("grid_code", level)}, measure, key, n FROM ({SHIFT}) s
        ) raw (child, measure, key, n) GROUP BY 1, 2, 3 HAVING sum(n) <> 0
        """
    )


# Changes between a month end and the kept day it would be kept from: more than a request's
# worth and the day is left to `flask stats snapshot`.
CHANGES_SINCE = text(
    """
    SELECT (SELECT count(*) FROM (SELECT 1 FROM residences
             WHERE moved_in > :day AND moved_in <= :today LIMIT :cap) a)
         + (SELECT count(*) FROM (SELECT 1 FROM residences
             WHERE moved_out > :day AND moved_out <= :today LIMIT :cap) b)
         + (SELECT count(*) FROM (SELECT 1 FROM house_grids
             WHERE valid_from > :day AND valid_from <= :today LIMIT :cap) c)
    """
)
