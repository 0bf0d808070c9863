"""Small reads run straight on a psycopg connection of their own, outside the ORM session.

Through the session, a read of a few rows costs several times the query itself in Python: the
session's transaction bookkeeping, the ORM's result setup, the Core execution context, the
pool's checkout and reset. For a read that clients send thousands of times a second (locate)
that was most of the request. The statement is still built with SQLAlchemy from the conditions
everyone shares (scope, validity) and compiled once per statement object; only its execution
skips the layers, on one autocommit connection per thread, taken from the engine once.

Not for a request that also writes through the session: the read runs outside the session's
transaction and would not see what the request wrote before it. A request may write here when
its write is one statement, all or nothing on its own: the public declaration reads what it
needs, then inserts in one statement (gridgov.declarations.guard and staging), two round trips
in all and no transaction to open or close.
"""

import os
import threading
import weakref
from functools import lru_cache

import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from gridgov.extensions import db

_held = threading.local()


@lru_cache(maxsize=1024)
def _compiled(statement) -> tuple[str, dict]:
    # Keyed by the statement object: callers build each statement once (see
    # hierarchy.service._locate_statement) and pass the same object every time.
    compiled = statement.compile(dialect=db.engine.dialect)
    return str(compiled), dict(compiled.params)


def _connect(engine: Engine) -> psycopg.Connection:
    pooled = engine.raw_connection()  # the engine's settings: statement timeout, time zone
    conn = pooled.dbapi_connection
    pooled.detach()  # ours from now on, not the pool's
    conn.autocommit = True  # one statement a read: no BEGIN and ROLLBACK round trips
    weakref.finalize(engine, conn.close)
    return conn


def _connection() -> psycopg.Connection:
    engine = db.engine
    if getattr(_held, "pid", None) != os.getpid():  # a forked worker opens its own
        _held.pid, _held.connections = os.getpid(), weakref.WeakKeyDictionary()
    conn = _held.connections.get(engine)
    if conn is None or conn.closed:
        conn = _held.connections[engine] = _connect(engine)
    return conn


def rows(statement, params: dict) -> list[tuple]:
    """The rows of a statement, its bound parameters filled from params."""
    sql, bound = _compiled(statement)
    conn = _connection()
    try:
        return conn.execute(sql, {**bound, **params}).fetchall()
    except psycopg.Error as err:
        if conn.broken:
            conn.close()  # the next read connects anew
        # The shape the session's errors have (a timeout or a lost server: OperationalError),
        # so errors.py answers them alike; the parameters stay out of the message.
        raise DBAPIError.instance(sql, params, err, psycopg.Error, hide_parameters=True) from err
