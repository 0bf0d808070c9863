"""Many rows into one table with one statement: INSERT (or UPDATE) ... FROM
json_to_recordset(rows); and many rows out of one (fetch_all).

An upload batch writes hundreds of rows to each table. As one statement the statistics triggers
run once for all of them, and the rows travel as one JSON document: encoded in C on our side,
parsed in C by the server, where a parameter per value (or an array per column) would spend
its time quoting and escaping in Python.
"""

import json
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from uuid import UUID

from geoalchemy2.elements import WKTElement
from sqlalchemy import JSON, Numeric, String, text
from sqlalchemy.dialects import postgresql

from gridgov.extensions import db

_DIALECT = postgresql.dialect()
_quote = _DIALECT.identifier_preparer.quote


def _sql_type(column) -> str:
    # Strings as text: the insert or update then checks the column's length as it assigns.
    if isinstance(column.type, String):
        return "text"
    if isinstance(column.type, Numeric):
        return "numeric"
    if isinstance(column.type, JSON):
        return "jsonb"
    return column.type.compile(dialect=_DIALECT)


def _encode(value):
    """JSON for what json cannot write itself, in the text form PostgreSQL reads back."""
    if isinstance(value, bytes | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, WKTElement):
        return f"SRID={value.srid};{value.data}"
    raise TypeError(f"cannot store a {type(value).__name__} in bulk")


def _record(table, rows: list[dict]) -> tuple[list[str], str, dict]:
    """(quoted column names, json_to_recordset's column list, the parameters) of rows. Every
    row names the same columns; None is NULL (not the column's default)."""
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"rows for {table.name} name different columns")
    names = [_quote(name) for name in rows[0]]
    types = [_sql_type(table.c[name]) for name in rows[0]]
    record = ", ".join(f"{n} {t}" for n, t in zip(names, types, strict=True))
    return names, record, {"rows": json.dumps(rows, default=_encode)}


def insert_rows(session, model, rows: list[dict], returning: tuple[str, ...] = ()) -> list:
    """Insert rows (dicts with the same keys) in their order; the `returning` columns of each
    inserted row, in no promised order."""
    if not rows:
        return []
    table = model.__table__
    names, record, params = _record(table, rows)
    # In order of position: rows are inserted, and sequence defaults drawn, in the given order.
    sql = (
        f"INSERT INTO {_quote(table.name)} ({', '.join(names)}) "
        f"SELECT {', '.join(names)} FROM ROWS FROM (json_to_recordset(:rows) AS ({record})) "
        f"WITH ORDINALITY AS r ({', '.join(names)}, bulk_position) ORDER BY bulk_position"
    )
    if returning:
        sql += f" RETURNING {', '.join(_quote(n) for n in returning)}"
    result = session.execute(text(sql), params)
    return result.all() if returning else []


def update_rows(session, model, rows: list[dict], key: str) -> None:
    """Set the other columns of each row (dicts with the same keys) on the row whose `key`
    column equals the row's."""
    if not rows:
        return
    table = model.__table__
    names, record, params = _record(table, rows)
    k = _quote(key)
    changes = ", ".join(f"{n} = r.{n}" for n in names if n != k)
    sql = (
        f"UPDATE {_quote(table.name)} t SET {changes} "
        f"FROM json_to_recordset(:rows) AS r ({record}) WHERE t.{k} = r.{k}"
    )
    session.execute(text(sql), params)


_PENDING = "gridgov.pending_rows"


def add_row(model, **values) -> None:
    """Add an append-only row (audit, change feed, stored outcome) to the transaction. Inside
    rows_together() it waits, and all such rows are inserted with one statement per table."""
    pending = db.session.info.get(_PENDING)
    if pending is None:
        db.session.add(model(**values))
    else:
        pending.append((model, values))


@contextmanager
def rows_together():
    """Collect append-only rows for a batch as (model, values); the caller drops a failed
    record's rows (del rows[mark:]) and the rest are inserted when the block ends, before the
    commit."""
    rows = db.session.info[_PENDING] = []
    try:
        yield rows
    finally:
        del db.session.info[_PENDING]
    db.session.flush()
    for model in dict.fromkeys(model for model, _ in rows):
        insert_rows(db.session, model, [values for m, values in rows if m is model])


def fetch_all(stmt) -> list[tuple]:
    """Every row of a select of plain columns (no type that needs converting on our side), as
    the driver's tuples: no ORM objects and no Row objects, whose making took a third of
    reading a list export's page."""
    result = db.session.connection().execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()
