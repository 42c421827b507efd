"""Short-lived DuckDB connections with retry on the file lock.

DuckDB lets one process write a file at a time: every command and page opens a connection for its
unit of work and closes it, retrying while another process holds the lock, so an ingest and an open
dashboard never lose a write. One connection is never shared between threads.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from postlaunch import schema
from postlaunch.errors import DatabaseBusyError, PostlaunchError

DEFAULT_LOCK_TIMEOUT = 30.0
MAX_RETRY_DELAY = 0.05  # seconds between two tries at a locked file
# Connections of one process to one file share its catalog, so two threads migrating it at once (the
# dashboard's access-log writer and a page flushing it, both on a new log) conflict on the same CREATE:
# a process migrates one connection at a time. Another process cannot: it waits for the file's lock.
_MIGRATING = threading.Lock()
T = TypeVar("T")


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return (
        "could not set lock" in text
        or "conflicting lock" in text
        or "different configuration" in text
        or "database is locked" in text
        or "resource temporarily unavailable" in text
    )


def waiting_marker(path: str | Path) -> Path:
    """The file a process touches while it waits for the lock: a long writer (ingest) that sees it fresh
    between two of its short transactions pauses, so the waiting reader gets in (postlaunch.db.pause_for_waiters)."""
    path = Path(path)
    return path.with_name(path.name + ".waiting")


def _mark_waiting(path: Path) -> None:
    with contextlib.suppress(OSError):  # a read-only folder: the writer then just does not pause for us
        waiting_marker(path).touch()


def pause_for_waiters(path: str | Path, *, fresh: float = 0.5, pause: float = 0.15) -> bool:
    """For a writer between two short transactions: when another process marked itself waiting for the
    lock within the last `fresh` seconds, sleep `pause` seconds so it can take the lock. Returns whether
    it paused."""
    try:
        age = time.time() - waiting_marker(path).stat().st_mtime
    except OSError:
        return False
    if age > fresh:
        return False
    time.sleep(pause)
    return True


def _retry_locked(path: Path, action: Callable[[], T], *, timeout: float, on_wait: object = None) -> T:
    """Run `action` (an open or an ATTACH of `path`), retrying while another process holds the lock:
    backoff from 20 ms to at most 50 ms (so a waiter takes the lock within a writer's pause between two
    transactions), marking itself waiting; DatabaseBusyError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    start = time.monotonic()
    delay = 0.02
    told = False
    while True:
        try:
            return action()
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _is_lock_conflict(exc):
                raise PostlaunchError(f"cannot open database {path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise DatabaseBusyError(
                    f"database {path} stayed locked by another process for {timeout:g} s "
                    "(an ingest still running?); try again in a moment"
                ) from exc
            if callable(on_wait) and not told:
                on_wait(time.monotonic() - start)
                told = True
            _mark_waiting(path)
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 1.6, MAX_RETRY_DELAY)
        except duckdb.Error as exc:
            raise PostlaunchError(f"cannot open database {path}: {exc}") from exc


def open_connection(
    path: str | Path,
    *,
    read_only: bool = False,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
    on_wait: object = None,
    migrations: list[tuple[int, str, list[str]]] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open `path`, retrying while another process holds the lock; migrate when writable.

    `on_wait`, if callable, is called once with the seconds waited so far the first time a lock is met
    (the dashboard uses it to show a short "busy" note). `migrations` names another schema than the
    database's (the access log's own file); it is opened writable.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise PostlaunchError(
            f"no database at {path}: load data first with `postlaunch ingest KIND FILE...` or run `make demo`"
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = _retry_locked(
        path, lambda: duckdb.connect(str(path), read_only=read_only), timeout=timeout, on_wait=on_wait
    )
    try:
        conn.execute("SET TimeZone = 'UTC'")
        if read_only and migrations is None:
            schema.check_schema(conn, str(path))
        else:
            with _MIGRATING:
                schema.migrate(conn, migrations)
    except Exception:
        conn.close()
        raise
    return conn


def attach(
    conn: duckdb.DuckDBPyConnection,
    path: str | Path,
    alias: str,
    *,
    read_only: bool,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """ATTACH the (already migrated) database `path` to `conn` as `alias` and make it the default catalog,
    retrying on the lock like `open_connection`; `detach` gives the lock back. For a process that keeps
    its own work in memory and holds the file's lock only for short steps (ingest)."""
    mode = " (READ_ONLY)" if read_only else ""
    sql = f"ATTACH {_literal(str(path))} AS {quote_ident(alias)}{mode}"
    _retry_locked(Path(path), lambda: conn.execute(sql).fetchall(), timeout=timeout)
    conn.execute(f"USE {quote_ident(alias)}")


def detach(conn: duckdb.DuckDBPyConnection, alias: str) -> None:
    conn.execute("USE memory")
    conn.execute(f"DETACH {quote_ident(alias)}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@contextmanager
def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
    on_wait: object = None,
    migrations: list[tuple[int, str, list[str]]] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for one unit of work, closed afterwards (see `open_connection`)."""
    conn = open_connection(path, read_only=read_only, timeout=timeout, on_wait=on_wait, migrations=migrations)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN, then COMMIT when the block ends, or ROLLBACK and re-raise when it fails."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (the only way identifiers enter SQL text)."""
    return '"' + name.replace('"', '""') + '"'
