"""A real gunicorn serving the app on loopback, and a TCP proxy in front of PostgreSQL that a
test can cut: faults are injected on real processes and sockets, never mocked."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    """Forwards 127.0.0.1:port to the database; stop() drops every connection and refuses new
    ones, as a database restart or a cut network would."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            if self._server is not None:
                # shutdown() wakes the thread blocked in accept(); close() alone would not.
                with contextlib.suppress(OSError):
                    self._server.shutdown(socket.SHUT_RDWR)
                self._server.close()
                self._server = None
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def proxied_url(database_url: str, proxy: Proxy) -> str:
    return (
        make_url(database_url)
        .set(host="127.0.0.1", port=proxy.port)
        .render_as_string(hide_password=False)
    )


class Server:
    """gunicorn wsgi:app with the test environment, on a free loopback port."""

    def __init__(
        self, database_url: str, workers: int = 1, log: Path | None = None, env: dict | None = None
    ):
        """With `log`, the server logs as `make run` does (access log and info) to that file;
        `env` adds to (or overrides) its environment."""
        self.port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT),
            # gunicorn.conf.py: the worker timeout, and a statement timeout a third of it.
            "GRIDGOV_WORKER_TIMEOUT": "60",
            **(env or {}),
        }
        logging = ["--access-logfile", "-", "--log-level", "info"] if log else []
        self._log = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                *logging,
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=self._log,
        )
        try:
            self.wait_ready()
        except BaseException:
            self.close()  # a server that did not start is not left running behind the test
            raise

    def wait_ready(self, seconds: float = 90) -> None:
        """Until the app answers (a loaded 2-core machine can take tens of seconds to import it)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.proc.poll() is None:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.url("/api/v1/openapi.json"), timeout=1) as answer,
            ):
                answer.read()
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start (exit code {self.proc.poll()})")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def kill_workers(self) -> None:
        for pid in self.workers():
            os.kill(pid, signal.SIGKILL)

    def raw(self, method: str, path: str, body=None, token=None, timeout=60):
        """(status, headers, bytes) of one HTTP request; (None, None, error) when it broke."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url(path), data, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            return None, None, e

    def request(self, method: str, path: str, body=None, token=None, timeout=60):
        """(status, parsed body) of one HTTP request; (None, error) when the connection broke."""
        status, _, data = self.raw(method, path, body, token, timeout)
        if status is None:
            return None, data
        return status, json.loads(data or b"null")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self._log is not subprocess.DEVNULL:
            self._log.close()


def send_together(server: Server, token: str, bodies: list) -> tuple[list, list]:
    """Upload several batches from as many threads started at the same moment: (the threads,
    the answers as they come)."""
    answers, start = [], threading.Barrier(len(bodies))

    def send(body):
        start.wait()
        answers.append(server.request("POST", "/api/v1/sync/upload", body, token))

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for t in threads:
        t.start()
    return threads, answers


class Held:
    """A table locked (SHARE: readers pass, writers wait) from a connection of the test's own,
    so uploads can be caught mid-transaction: `with Held(engine, "sync_records") as held:`."""

    def __init__(self, engine, table: str):
        self.engine, self.table = engine, table

    def __enter__(self) -> "Held":
        self.conn = self.engine.connect()
        self.conn.exec_driver_sql(f"LOCK TABLE {self.table} IN SHARE MODE")
        self.pid = self.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        return self

    def __exit__(self, *exc) -> None:
        self.conn.rollback()
        self.conn.close()

    def waiting(self) -> list[int]:
        """The sessions waiting, directly or behind another waiter, for this lock."""
        # Activity is read once per transaction unless cleared, and this one stays open.
        self.conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        rows = self.conn.exec_driver_sql(
            "WITH RECURSIVE w (pid) AS ("
            " SELECT pid FROM pg_stat_activity WHERE %(held)s = ANY(pg_blocking_pids(pid))"
            " UNION SELECT a.pid FROM pg_stat_activity a"
            " JOIN w ON w.pid = ANY(pg_blocking_pids(a.pid))"
            ") SELECT pid FROM w",
            {"held": self.pid},
        )
        return [pid for (pid,) in rows]

    def wait_for(self, count: int, seconds: float = 30) -> list[int]:
        """Until `count` sessions wait for this lock; their pids."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len(pids := self.waiting()) >= count:
                return pids
            time.sleep(0.05)
        raise AssertionError(f"{count} session(s) never came to wait for {self.table}")

    def wrote(self, pid: int, table: str) -> bool:
        """Whether the waiting session `pid` has written to `table` in the transaction that
        waits (every insert takes, and keeps, a ROW EXCLUSIVE lock on its table)."""
        return self.conn.exec_driver_sql(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %(pid)s AND granted"
            " AND mode = 'RowExclusiveLock' AND relation = CAST(%(t)s AS regclass))",
            {"pid": pid, "t": table},
        ).scalar()


class ExportWorker:
    """`flask exports work` in a process of its own, as `make run` starts it beside gunicorn."""

    def __init__(self, database_url: str, directory: Path, env: dict | None = None):
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "FLASK_APP": "wsgi",
            "PYTHONPATH": str(ROOT),
            "GRIDGOV_EXPORT_DIR": str(directory),
            **(env or {}),
        }
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/flask"), "exports", "work", "--poll", "0.1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        self.proc.stderr.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if not self.proc.stderr.closed:
            self.proc.stderr.close()


def wait_for(condition, seconds: float = 60, every: float = 0.1):
    """Poll a condition until it holds (its value) or the time is up (AssertionError): the
    worker is another process, and its answer is a database row."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise AssertionError(f"not within {seconds} s: {condition.__doc__ or condition}")
