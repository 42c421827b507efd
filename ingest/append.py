"""The steps of an ingest that touch the database file, each short: read the stored identities (attached
for reading), take the ingest lease, append the file's new rows in chunks, and record the run with its
quarantine and rollup in one last transaction. Everything else of a file happens in the working
connection's temp tables, outside DuckDB's file lock, so pages and `decide` wait at most one step.

`Target` is where the database is reached: attached to an in-memory working connection for each step,
or (for a caller that already holds a connection to it) that connection itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from ingest import lease, store
from ingest.kinds import Kind
from ingest.sqltext import run_sql
from postlaunch import db
from postlaunch.errors import DatabaseBusyError

ALIAS = "pl"
LOG = logging.getLogger("postlaunch.ingest")  # DEBUG: how long each step held the database
# Rows of one appended chunk: one DuckDB row group, written straight to the file in insertion order, so
# the transaction's checkpoint has nothing left to compress (a chunk of more, or of rows appended by
# several threads, leaves partial row groups that the checkpoint rewrites: seconds with the lock held).
# A file with fewer new rows than one chunk is written in its last transaction.
CHUNK_ROWS = 122_880
CHUNKED_KINDS = frozenset(lease.TABLES) - {"cost", "changes"}  # the kinds whose files run to millions of rows
LEASE_POLL_SECONDS = 0.2
T = TypeVar("T")


@dataclass
class Target:
    """The database being written: `path` is attached to `conn` for each step (None: `conn` is the
    database's own connection, held by the caller throughout)."""

    conn: duckdb.DuckDBPyConnection
    path: Path | None
    timeout: float

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The database attached read-only (a shared lock: pages still read, writers wait)."""
        if self.path is None:
            yield self.conn
            return
        asked = time.perf_counter()
        db.attach(self.conn, self.path, ALIAS, read_only=True, timeout=self.timeout)
        held = time.perf_counter()
        try:
            yield self.conn
        finally:
            db.detach(self.conn, ALIAS)
            _log("read", asked, held)

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction on the database (its lock held until it is detached again)."""
        asked = held = time.perf_counter()
        if self.path is not None:
            db.attach(self.conn, self.path, ALIAS, read_only=False, timeout=self.timeout)
            held = time.perf_counter()
        try:
            run_sql(self.conn, "BEGIN TRANSACTION")
            try:
                yield self.conn
                committing = time.perf_counter()
                run_sql(self.conn, "COMMIT")
                LOG.debug("commit %.3f s", time.perf_counter() - committing)
            except BaseException:
                run_sql(self.conn, "ROLLBACK")
                raise
        finally:
            if self.path is not None:
                detaching = time.perf_counter()
                db.detach(self.conn, ALIAS)
                LOG.debug("detach %.3f s", time.perf_counter() - detaching)
                _log("write", asked, held)

    def pause_for_waiters(self) -> None:
        if self.path is not None:
            db.pause_for_waiters(self.path)


def _log(step: str, asked: float, held: float) -> None:
    if LOG.isEnabledFor(logging.DEBUG):
        end = time.perf_counter()
        LOG.debug("%s step: waited %.3f s for the lock, held it %.3f s", step, held - asked, end - held)


def chunked(target: Target, kind: Kind, new_rows: int) -> bool:
    """Whether the file's new rows are appended in chunks under a lease (else in its last transaction)."""
    return target.path is not None and kind.name in CHUNKED_KINDS and new_rows > CHUNK_ROWS


class _Held(Exception):
    """Another live ingest holds the lease: this step's transaction is rolled back and tried again."""

    def __init__(self, holder: lease.Lease) -> None:
        super().__init__(holder.run_id)
        self.holder = holder


def _when_free(target: Target, step: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """Run `step` in a write transaction once no other live ingest holds the lease (dead ones are
    recovered first), waiting as long as the holder's heartbeat moves."""
    last_beat: object = None
    stalled_since = time.monotonic()
    while True:
        try:
            with target.writing() as conn:
                lease.recover_dead(conn)
                for held in lease.leases(conn):
                    raise _Held(held)
                return step(conn)
        except _Held as busy:
            holder = busy.holder
        beat = (holder.run_id, holder.heartbeat_at)
        if beat != last_beat:
            last_beat, stalled_since = beat, time.monotonic()
        elif time.monotonic() - stalled_since > target.timeout:
            raise DatabaseBusyError(
                f"another ingest ({holder.file}, pid {holder.pid} on {holder.host}) has made no progress for "
                f"{target.timeout:g} s; try again later"
            ) from None
        time.sleep(LEASE_POLL_SECONDS)


def take_lease(target: Target, kind: Kind, run_id: str, file: str) -> list[str]:
    """Hold the ingest lease for `run_id` (see `_when_free`). Returns the runs of `kind` that loaded rows
    since the stored identities were read."""

    def take(conn: duckdb.DuckDBPyConnection) -> list[str]:
        lease.acquire(conn, run_id, kind.name, file)
        return store.runs_since(conn, kind)

    return _when_free(target, take)


def last_step(target: Target, step: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """A file's only write transaction (few rows, no lease of its own), once no ingest holds the lease."""
    return _when_free(target, step)


def append_chunks(target: Target, kind: Kind, outputs: list[str], run_id: str, last_row: int) -> int:
    """Append the file's new rows (`__row` 0..last_row) in short transactions of CHUNK_ROWS rows that each
    renew the lease, pausing between two when a reader waits for the lock. Returns the rows appended."""
    done = 0
    for lo in range(0, last_row + 1, CHUNK_ROWS):
        with target.writing() as conn:
            inserting, cpu = time.perf_counter(), time.process_time()
            done += store.insert_rows(conn, kind, outputs, run_id, (lo, lo + CHUNK_ROWS))
            LOG.debug(
                "chunk from row %d: insert %.3f s (%.3f s of CPU)",
                lo,
                time.perf_counter() - inserting,
                time.process_time() - cpu,
            )
            lease.heartbeat(conn, run_id)
        target.pause_for_waiters()
    return done


def release(conn: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Inside the run's last transaction: its rows are loaded once this commits."""
    lease.release(conn, run_id)


def give_back(target: Target, run_id: str) -> None:
    """After a failure past the lease: delete what the run appended and drop its lease. When that cannot
    be done now, the rows stay hidden and the next ingest recovers the lease once this process ended."""
    try:
        with target.writing() as conn:
            for held in lease.leases(conn):
                if held.run_id == run_id:
                    lease.recover(conn, held)
    except Exception:  # noqa: BLE001, S110 - the original error is the one to report
        pass
