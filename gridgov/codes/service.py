"""Load code tables from CSV (table,code,label) and answer "is this a valid code"."""

import csv
import io

from sqlalchemy import select

from gridgov.audit.service import record
from gridgov.clock import district_today
from gridgov.codes.models import Code
from gridgov.errors import NotFound, ValidationFailed
from gridgov.extensions import db


def load(text: str, actor_id=None) -> dict:
    """Bring the tables to what the file says: new codes are added, changed labels become a new
    version, codes missing from a table named in the file are closed today. Idempotent."""
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    wanted: dict[tuple[str, str], str] = {}
    for line, row in enumerate(rows, start=2):
        table, code, label = (row.get(k, "").strip() for k in ("table", "code", "label"))
        if not (table and code and label):
            raise ValidationFailed.field(
                f"line {line}", "needs table, code and label", location="file"
            )
        wanted[(table, code)] = label
    tables = {t for t, _ in wanted}
    current = {
        (c.table_name, c.code): c
        for c in db.session.scalars(
            select(Code).where(Code.table_name.in_(tables), Code.valid_to.is_(None))
        )
    }
    counts = {"added": 0, "relabelled": 0, "closed": 0, "unchanged": 0}
    today = district_today()
    for key, label in wanted.items():
        old = current.get(key)
        if old is not None and old.label == label:
            counts["unchanged"] += 1
            continue
        version = 1
        if old is not None:
            old.valid_to, version = today, old.version + 1
            db.session.flush()
            counts["relabelled"] += 1
        else:
            counts["added"] += 1
        code = Code(table_name=key[0], code=key[1], label=label, version=version, valid_from=today)
        db.session.add(code)
    for key, old in current.items():
        if key not in wanted:
            old.valid_to = today
            counts["closed"] += 1
    if counts["added"] or counts["relabelled"] or counts["closed"]:
        after = {**counts, "tables": sorted(tables)}
        record("load_codes", "code_table", None, actor_id=actor_id, after=after)
    db.session.commit()
    return counts


def current_codes(tables: tuple[str, ...] | None = None) -> dict[str, frozenset[str]]:
    """Every table's codes in force (or these tables'), for validating a batch without a query
    per field."""
    out: dict[str, set[str]] = {}
    stmt = select(Code.table_name, Code.code).where(Code.valid_to.is_(None))
    if tables is not None:
        stmt = stmt.where(Code.table_name.in_(tables))
    for table, code in db.session.execute(stmt):
        out.setdefault(table, set()).add(code)
    return {table: frozenset(codes) for table, codes in out.items()}


def _rows(table: str | None = None):
    stmt = select(Code).where(Code.valid_to.is_(None)).order_by(Code.table_name, Code.code)
    if table is not None:
        stmt = stmt.where(Code.table_name == table)
    return db.session.scalars(stmt)


def tables() -> dict[str, dict]:
    """Every table in force: its version (the highest of its codes) and its codes with labels."""
    out: dict[str, dict] = {}
    for c in _rows():
        entry = out.setdefault(c.table_name, {"version": 0, "codes": []})
        entry["version"] = max(entry["version"], c.version)
        entry["codes"].append({"code": c.code, "label": c.label})
    return out


def table(name: str) -> dict:
    """One table in force, each code with its version and first day; 404 for an unknown table."""
    codes = [
        {
            "code": c.code,
            "label": c.label,
            "version": c.version,
            "valid_from": c.valid_from.isoformat(),
        }
        for c in _rows(name)
    ]
    if not codes:
        raise NotFound(f"No code table named {name}.", code="unknown_code_table")
    return {
        "table": name,
        "version": max(c["version"] for c in codes),
        "codes": codes,
    }
