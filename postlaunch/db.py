"""Short-lived DuckDB connections with retry on the file lock.

DuckDB lets one process write a file at a time: every command and page opens a connection for its
unit of work and closes it, retrying while another process holds the lock, so an ingest and an open
dashboard never lose a write. One connection is never shared between threads.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from postlaunch import schema
from postlaunch.errors import DatabaseBusyError, PostlaunchError

DEFAULT_LOCK_TIMEOUT = 30.0


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return (
        "could not set lock" in text
        or "conflicting lock" in text
        or "different configuration" in text
        or "database is locked" in text
        or "resource temporarily unavailable" in text
    )


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
    deadline = time.monotonic() + timeout
    start = time.monotonic()
    delay = 0.02
    told = False
    while True:
        try:
            conn = duckdb.connect(str(path), read_only=read_only)
            break
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
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 1.6, 0.5)
        except duckdb.Error as exc:
            raise PostlaunchError(f"cannot open database {path}: {exc}") from exc
    try:
        conn.execute("SET TimeZone = 'UTC'")
        if migrations is not None:
            schema.migrate(conn, migrations)
        elif read_only:
            schema.check_schema(conn, str(path))
        else:
            schema.migrate(conn)
    except Exception:
        conn.close()
        raise
    return conn


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
