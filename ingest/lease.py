"""The ingest lease: one file at a time appends its rows in short transactions, and until its run is
recorded those rows are not loaded (`usage_loaded` and `feedback_loaded` leave them out). A lease whose
process died is recovered by the next ingest: its rows are deleted and its lease dropped.

It owns the `ingest_leases` table only; it never reads a data file and never commits rows of a file.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from ingest.runs import now
from ingest.sqltext import run_sql

# A lease whose heartbeat is older than this is dead even when its process id still runs (another host,
# or a hung process): the heartbeat is renewed with every chunk, a few times a second.
STALE_AFTER = timedelta(minutes=10)
# Where each kind's rows are appended (rows of a dead lease are deleted there).
TABLES = {"usage": "usage_events", "feedback": "feedback", "cost": "cost_records", "changes": "changes"}


@dataclass(frozen=True)
class Lease:
    run_id: str
    kind: str
    file: str
    pid: int
    host: str
    started_at: datetime
    heartbeat_at: datetime

    def alive(self, at: datetime, host: str | None = None) -> bool:
        """Whether its process may still be appending: its heartbeat is fresh and, on this host, its
        process id still runs."""
        if at - self.heartbeat_at > STALE_AFTER:
            return False
        if self.host != (host or socket.gethostname()):
            return True
        return process_runs(self.pid)


def process_runs(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def leases(conn: duckdb.DuckDBPyConnection) -> list[Lease]:
    rows = run_sql(
        conn,
        "SELECT run_id, kind, file, pid, host, started_at, heartbeat_at FROM ingest_leases ORDER BY started_at",
    )
    return [Lease(*row) for row in rows]


def recover(conn: duckdb.DuckDBPyConnection, lease: Lease) -> int:
    """Delete the rows a dead lease appended and the lease itself (inside the caller's transaction).
    Returns the rows deleted."""
    table = TABLES.get(lease.kind)
    deleted = 0
    if table is not None:
        ((deleted,),) = run_sql(conn, f"DELETE FROM {table} WHERE run_id = ?", [lease.run_id])
    run_sql(conn, "DELETE FROM ingest_leases WHERE run_id = ?", [lease.run_id])
    return int(deleted)


def acquire(conn: duckdb.DuckDBPyConnection, run_id: str, kind: str, file: str) -> Lease:
    """Record the lease of `run_id` (inside the caller's write transaction, when no other is held)."""
    at = now()
    mine = Lease(run_id, kind, file, os.getpid(), socket.gethostname(), at, at)
    run_sql(
        conn,
        "INSERT INTO ingest_leases VALUES (?, ?, ?, ?, ?, ?, ?)",
        [mine.run_id, mine.kind, mine.file, mine.pid, mine.host, mine.started_at, mine.heartbeat_at],
    )
    return mine


def heartbeat(conn: duckdb.DuckDBPyConnection, run_id: str) -> None:
    run_sql(conn, "UPDATE ingest_leases SET heartbeat_at = ? WHERE run_id = ?", [now(), run_id])


def release(conn: duckdb.DuckDBPyConnection, run_id: str) -> None:
    run_sql(conn, "DELETE FROM ingest_leases WHERE run_id = ?", [run_id])


def recover_dead(conn: duckdb.DuckDBPyConnection) -> int:
    """Recover every dead lease (inside the caller's write transaction); the rows deleted."""
    at = now()
    return sum(recover(conn, lease) for lease in leases(conn) if not lease.alive(at))
