"""Statistics of an area and its children: today's from the live counts, a past day's from the
nearest kept count (today's, or its month's end, kept current at write time) and the dated
changes between; monthly series from kept month ends; the check that every one of them agrees
with a recount."""

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import orjson
from sqlalchemy import func, select, text

from gridgov.errors import NotFound, ValidationFailed
from gridgov.extensions import db
from gridgov.hierarchy.models import LEVELS, Area, prefix_of
from gridgov.hierarchy.service import valid_on, whole_area
from gridgov.scope import Principal
from gridgov.stats import measures, queries, store


@dataclass(frozen=True)
class Question:
    code: str
    by: str | None = None
    day: date | None = None  # None: today
    wanted: tuple[str, ...] = measures.DAY_MEASURES
    start: date | None = None  # the period of arrivals and departures
    stop: date | None = None


@dataclass(frozen=True)
class Settings:
    today: date
    crowded_above: int
    fold_rows: int = 5000
    # Changes between a month end and today above which keeping it is left to a job.
    keep_changes: int = 20_000


def area_in_scope(principal: Principal, code: str):
    """The area (any validity) if the principal's scope holds all of it."""
    return whole_area(principal, code)


def _child_level(area_level: str, by: str | None) -> str:
    if by is None:
        return area_level
    if LEVELS.index(by) <= LEVELS.index(area_level):
        below = ", ".join(LEVELS[LEVELS.index(area_level) + 1 :]) or "nothing"
        raise ValidationFailed.field(
            "by", f"must be a level below {area_level} ({below})", location="query"
        )
    return by


def _children(prefix: str, level: str, day: date) -> dict[str, str]:
    return dict(db.session.execute(queries.CHILDREN, _params(prefix, level, day)).all())


def _names(codes: set[str], day: date, today: date) -> dict[str, str]:
    """The name of each area counted on a day that was not in force then (people were recorded
    living there before the area's recorded start): its name on the nearest day it was, the
    current one first."""
    rows = db.session.execute(
        select(Area.code, Area.name)
        .where(Area.code.in_(codes))
        # The preferred row of each code comes last, and dict() keeps it.
        .order_by(valid_on(today), func.abs(Area.valid_from - day).desc())
    )
    return dict(rows.all())


def raw_counts(
    prefix: str, level: str, day: date, today: date, *, recount=False, cap: int | None = None
) -> dict[str, dict]:
    """{measure: {key: n}} of each area of a level below a prefix, on a day: today's from the
    live counts, a past day's from its anchor (store.anchor_for) and the changes between, or
    with `recount` from the records themselves (the truth both are checked by)."""
    if day == today and not recount:
        return today_counts(prefix, level, today)[0]
    params = _params(prefix, level, day)
    if recount:
        stmt = queries.recount(level)
    else:
        anchor = store.anchor_for(day, today, cap)
        params.update(queries.span(anchor, day))
        stmt = queries.shifted(level, "live" if anchor == today else "kept")
    return _per_child(stmt, params)


def _params(prefix: str, level: str, day: date) -> dict:
    return {"prefix": prefix, "day": day, "month": day.replace(day=1), "level": level}


def _per_child(stmt, params: dict) -> dict[str, dict]:
    out: dict[str, dict] = defaultdict(dict)
    for child, counts in db.session.execute(text(queries.per_child(stmt)), params):
        out[child] = orjson.loads(counts)
    return out


def today_counts(
    prefix: str, level: str, today: date, *, names=False, fold_rows: int | None = None
) -> tuple[dict[str, dict], dict[str, str]]:
    """Today's counts of each area of a level below a prefix and, with `names`, the names of
    those in force, in one statement (queries.today): the rows as folded, one an area, with
    the pending deltas added in (what queries.live counts in SQL). With `fold_rows`, the same
    statement asks whether a fold is due (queries.DUE); if so it runs and they are read again."""
    params = {**_params(prefix, level, today), "n": fold_rows}
    rows = db.session.execute(queries.today(level, names, fold_rows is not None), params).all()
    if any(what == "due" and value == "true" for what, _, _, value in rows):
        store.fold(params["month"])
        rows = db.session.execute(queries.today(level, names, False), params).all()
    counts: dict[str, dict] = defaultdict(dict)
    pending, named, banded = [], {}, True
    for what, code, month, value in rows:
        if what == "counts":
            banded &= month == params["month"]
            counts[code] = orjson.loads(value)
        elif what == "pending":
            pending.append((code, value))
        elif what == "name":
            named[code] = value
    if not banded:  # the rows are banded for another month: a fold has not reached this one
        return _per_child(queries.live(level), params), named
    for code, deltas in pending:
        _add(counts[code], orjson.loads(deltas))
    return counts, named


def _add(into: dict, deltas: dict) -> None:
    """Pending deltas {measure: {key: n}} added to an area's counts; a key they bring to 0 goes."""
    for measure, keys in deltas.items():
        have = into.setdefault(measure, {})
        for key, n in keys.items():
            if total := have.get(key, 0) + n:
                have[key] = total
            else:
                have.pop(key, None)


def _add_flows(out: dict, prefix: str, level: str, start: date, stop: date) -> None:
    params = {"prefix": prefix, "start": start, "stop": stop}
    for child, measure, key, n in db.session.execute(queries.flows(level), params):
        out[child][measure] = {key: int(n)}


def statistics(principal: Principal, q: Question, settings: Settings) -> dict:
    area = area_in_scope(principal, q.code)
    level = _child_level(area.level, q.by)
    day = q.day or settings.today
    if day > settings.today:
        raise ValidationFailed.field("as_of", "must not be in the future", location="query")
    prefix = prefix_of(area.code, area.level)
    # Before counting this month: many pending rows slow the count, and a new month needs its
    # bands (today's counts ask in the same statement).
    if day == settings.today:
        raw, names = today_counts(
            prefix, level, day, names=bool(q.by), fold_rows=settings.fold_rows
        )
    else:
        if (day.year, day.month) == (settings.today.year, settings.today.month):
            store.fold_if_due(settings.fold_rows, settings.today.replace(day=1))
        raw = raw_counts(prefix, level, day, settings.today, cap=settings.keep_changes)
        names = _children(prefix, level, day) if q.by else {}
    if not q.by:
        names = {area.code: area.name}
    total = _sum(raw.values())
    if measures.PERIOD_MEASURES & set(q.wanted):
        # A move between two children is a flow for each of them but not for the area.
        stop = q.stop or day
        start = q.start or stop - timedelta(days=29)
        _add_flows(raw, prefix, level, start, stop)
        own: dict = defaultdict(dict)
        _add_flows(own, prefix, area.level, start, stop)
        total.update(own.get(area.code, {}))

    def shown(counts):
        return measures.values(counts, q.wanted, settings.crowded_above)

    result = {
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "as_of": day.isoformat(),
        "measures": list(q.wanted),
        "total": shown(total),
    }
    if q.by:
        codes = sorted(set(names) | set(raw))
        if unnamed := set(codes) - set(names):
            names.update(_names(unnamed, day, settings.today))
        result["by"] = level
        result["children"] = [
            {"code": c, "name": names.get(c), "values": shown(raw.get(c, {}))} for c in codes
        ]
    return result


def _sum(counts) -> dict:
    """{measure: {key: n}} summed over several areas' counts (plain dicts: it runs for each
    of thousands of keys)."""
    total: dict = {}
    for area in counts:
        for measure, keys in area.items():
            into = total.get(measure)
            if into is None:
                total[measure] = dict(keys)
                continue
            for key, n in keys.items():
                into[key] = into.get(key, 0) + n
    return total


month_end = store.month_end


def _choropleth(principal: Principal, q: Question, settings: Settings):
    """The statistics of the children, each child's flat properties, and its outline as the
    GeoJSON text PostGIS writes (None without one)."""
    stats = statistics(principal, q, settings)
    codes = [c["code"] for c in stats["children"]]
    shapes = dict(
        db.session.execute(
            select(Area.code, func.ST_AsGeoJSON(Area.geom, 7)).where(Area.code.in_(codes))
        ).all()
    )
    # Every count property on every area: one nobody of a kind lives in gets 0, so a map
    # colours it as none rather than as no data.
    flat = [_flat(child["values"]) for child in stats["children"]]
    zeros = dict.fromkeys({key: None for values in flat for key in values}, 0)
    properties = [
        {"code": child["code"], "name": child["name"], **zeros, **values}
        for child, values in zip(stats["children"], flat, strict=True)
    ]
    return stats, properties, shapes


def features(principal: Principal, q: Question, settings: Settings, outline=json.loads) -> dict:
    """The children as a GeoJSON FeatureCollection with their counts as flat properties; each
    outline the GeoJSON text PostGIS writes, through `outline` (the API passes it into the
    answer as it is: parsing and writing again ~100 KB of coordinates took most of the
    choropleth's time)."""
    stats, properties, shapes = _choropleth(principal, q, settings)
    return {
        "type": "FeatureCollection",
        "as_of": stats["as_of"],
        "features": [
            {
                "type": "Feature",
                "id": p["code"],
                "geometry": outline(shapes[p["code"]]) if shapes.get(p["code"]) else None,
                "properties": p,
            }
            for p in properties
        ],
    }


def _flat(values: dict) -> dict:
    out = {}
    for name, value in values.items():
        if isinstance(value, dict):
            out.update({f"{name}.{key}": n for key, n in value.items()})
        else:
            out[name] = value
    return out


def series_stop(start: date, stop: date, today: date, longest: int) -> date:
    """The last day of a series from start's month to stop's: stop's month end, or today if
    that month is not over; refused past this month or beyond `longest` months."""
    if stop > today:
        raise ValidationFailed.field("to", "must not be after this month", location="query")
    months = (stop.year - start.year) * 12 + stop.month - start.month + 1
    if months > longest:
        raise ValidationFailed.field(
            "to", f"the series spans {months} months; at most {longest}", location="query"
        )
    return min(today, month_end(stop))


def series(principal: Principal, code: str, start: date, stop: date, settings: Settings) -> dict:
    """People at the end of each month from start's month to stop's (stop if it comes first;
    today's point is live). Past points are kept month ends: one not kept yet is kept first,
    from the live counts and the changes since."""
    area = area_in_scope(principal, code)
    prefix = prefix_of(area.code, area.level)
    days, month = [], start
    while month <= stop:
        days.append((month, min(month_end(month), stop)))
        month = month_end(month) + timedelta(days=1)
    past = [day for _, day in days if day < settings.today]
    store.keep_all(past, settings.today, settings.keep_changes)
    kinds: dict = defaultdict(dict)
    params = {"days": past, "level": area.level, "code": area.code}
    for day, kind, n in db.session.execute(queries.SNAPSHOT_KINDS, params):
        kinds[day][kind] = int(n)
    if days[-1][1] == settings.today:
        live, _ = today_counts(prefix, area.level, settings.today, fold_rows=settings.fold_rows)
        kinds[settings.today] = live.get(area.code, {}).get("kind", {})
    points = []
    for month, day in days:
        residents = kinds.get(day, {}).get("resident", 0)
        floating = kinds.get(day, {}).get("floating", 0)
        points.append(
            {
                "month": month.strftime("%Y-%m"),
                "as_of": day.isoformat(),
                "population": residents + floating,
                "residents": residents,
                "floating": floating,
            }
        )
    return {
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "measures": list(measures.SERIES_MEASURES),
        "points": points,
    }


def verify(code: str, today: date, days: tuple[date, ...] = ()) -> list[dict]:
    """Every difference between the fast counts and a full recount of the area, at each level
    from the area itself down to its grid cells: today's live counts, and those of each past
    day given (a kept month end, or a day between, counted from its anchor)."""
    area = db.session.execute(select(Area.code, Area.level).where(Area.code == code)).one_or_none()
    if area is None:
        raise NotFound(f"No area with code {code}.", code="unknown_area")
    prefix = prefix_of(area.code, area.level)
    store.fold(today.replace(day=1))  # this month's bands, before they are compared
    differences = []
    for day in (today, *days):
        for level in LEVELS[LEVELS.index(area.level) :]:
            fast = raw_counts(prefix, level, day, today)
            slow = raw_counts(prefix, level, day, today, recount=True)
            for child in sorted(set(fast) | set(slow)):
                a, b = _flat_counts(fast.get(child, {})), _flat_counts(slow.get(child, {}))
                for measure, key in sorted(set(a) | set(b)):
                    live, recounted = a.get((measure, key), 0), b.get((measure, key), 0)
                    if live != recounted:
                        differences.append(
                            {
                                "day": day.isoformat(),
                                "area": child,
                                "measure": measure,
                                "key": key,
                                "live": live,
                                "recount": recounted,
                            }
                        )
    return differences


def _flat_counts(counts: dict) -> dict:
    return {(m, k): n for m, keys in counts.items() for k, n in keys.items() if n}
