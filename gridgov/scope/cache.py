"""Remember who a token belongs to between requests in one worker process.

Loading the principal is a database round trip on every request. Entries are forgotten the
moment any account, area binding or revocation changes in any process: services announce such
changes with PostgreSQL NOTIFY in the same transaction, and a listener thread in each worker
clears the cache when it hears one. While the listener is not connected nothing is cached, and
no entry lives longer than `ttl` seconds whatever happens.
"""

import logging
import os
import threading
import time
import weakref

import psycopg
from sqlalchemy import text

from gridgov.extensions import db

CHANNEL = "gridgov_auth"
log = logging.getLogger(__name__)
_caches: "weakref.WeakSet[PrincipalCache]" = weakref.WeakSet()


def clear_all() -> None:
    """Forget every principal cached in this process (other processes hear the NOTIFY)."""
    for cache in list(_caches):
        cache.clear()


def announce_auth_change() -> None:
    """Tell every worker's principal cache to forget (delivered when this transaction commits)."""
    db.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    clear_all()


class PrincipalCache:
    """Principals by (subject, token id, family); `load` turns verified claims into one (the
    auth package's loader, given by the app factory, so scope depends on nothing above it)."""

    def __init__(self, dsn: str, ttl: float, load=None):
        self._dsn, self._ttl, self.load = dsn, ttl, load
        self._entries: dict = {}
        self._generation = 0
        self._heard: str | None = None
        self._listening = False
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a clear, or the listener connected
        self._pid = None
        self._stop = threading.Event()
        self._conn: psycopg.Connection | None = None
        _caches.add(self)

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, key):
        if self._ttl <= 0:
            return None
        self._ensure_listener()
        entry = self._entries.get(key)
        if entry is None or not self._listening or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, key, principal, generation: int) -> None:
        """Store unless something changed since `generation` was read (the load may be stale)."""
        with self._lock:
            if self._listening and generation == self._generation:
                self._entries[key] = (principal, time.monotonic() + self._ttl)

    def clear(self, heard: str | None = None) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._heard = heard
            self._changed.notify_all()

    def wait_heard(self, payload: str, timeout: float) -> bool:
        """Block until the listener has heard (and acted on) a NOTIFY with this payload, or the
        time is up; whether it has. Notifications arrive in commit order, so every one sent
        before it has been acted on too. For tests that must know, without sleeping."""
        with self._changed:
            return self._changed.wait_for(lambda: self._heard == payload, timeout)

    def wait_listening(self, timeout: float) -> bool:
        """Block until this process's listener is connected, so entries are kept; whether it is."""
        self._ensure_listener()
        with self._changed:
            return self._changed.wait_for(lambda: self._listening, timeout)

    def stop(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None:
            conn.close()

    def _ensure_listener(self) -> None:
        # Started lazily in each process: gunicorn forks workers after the app is built.
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._pid, self._listening, self._entries = os.getpid(), False, {}
                    threading.Thread(target=self._listen, daemon=True, name=CHANNEL).start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as conn:
                    self._conn = conn
                    conn.execute(f"LISTEN {CHANNEL}")
                    with self._lock:
                        self._generation += 1
                        self._entries.clear()
                        self._listening = True
                        self._changed.notify_all()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=5):
                            self.clear(note.payload)
                        conn.execute("SELECT 1")  # a dead connection shows up here
            except psycopg.Error as e:
                if not self._stop.is_set():
                    log.warning("principal cache listener lost its connection: %s", e)
            finally:
                self._listening, self._conn = False, None
                self.clear()
            self._stop.wait(1)
