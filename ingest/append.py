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
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from ingest import lease, store
from ingest.kinds import Kind
from ingest.numbered import SHARED, V
from ingest.sqltext import run_sql
from postlaunch import db
from postlaunch.errors import DatabaseBusyError

ALIAS = "pl"
LOG = logging.getLogger("postlaunch.ingest")  # DEBUG: how long each step held the database
# Rows of one appended chunk: one DuckDB row group, written straight to the file by one thread in its own
# transaction, so the commit's checkpoint has nothing left to compress (a transaction of more rows, or of
# rows appended by several threads, leaves partial row groups that the checkpoint rewrites: seconds with
# the lock held). Compressing a row group takes one core, so up to MAX_PARALLEL chunks are appended side
# by side, each on its own cursor. A file with fewer new rows than one chunk is written in its last
# transaction.
CHUNK_ROWS = 122_880
MAX_PARALLEL = 4
READERS_SECONDS = 5.0  # after a reader waited for the lock, one chunk per round for this long
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
    def _attached(self, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        """`conn` with the database attached for the block (as it is when `path` is None)."""
        if self.path is None:
            yield self.conn
            return
        asked = time.perf_counter()
        db.attach(self.conn, self.path, ALIAS, read_only=read_only, timeout=self.timeout)
        held = time.perf_counter()
        try:
            yield self.conn
        finally:
            detaching = time.perf_counter()
            db.detach(self.conn, ALIAS)
            if not read_only:
                LOG.debug("detach %.3f s", time.perf_counter() - detaching)
            _log("read" if read_only else "write", asked, held)

    def reading(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The database attached read-only (a shared lock: pages still read, writers wait)."""
        return self._attached(read_only=True)

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction on the database (its lock held until it is detached again)."""
        with self._attached(read_only=False) as conn:
            run_sql(conn, "BEGIN TRANSACTION")
            try:
                yield conn
                committing = time.perf_counter()
                run_sql(conn, "COMMIT")
                LOG.debug("commit %.3f s", time.perf_counter() - committing)
            except BaseException:
                run_sql(conn, "ROLLBACK")
                raise

    def attached(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The database attached for writing, without a transaction: each cursor of the connection opens
        its own (the lock is held until it is detached again). Only for a working connection (`path`)."""
        if self.path is None:  # pragma: no cover - chunked() holds only with a path
            raise RuntimeError("attached() needs the database's path")
        return self._attached(read_only=False)

    def pause_for_waiters(self) -> bool:
        """Give the lock to a reader that waits for it (see db.pause_for_waiters); whether one did."""
        return self.path is not None and db.pause_for_waiters(self.path)


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


# The new rows as the cursors that append chunks read them: CLS's rows are copied to SKIP (a cursor cannot
# see the working connection's temp tables; V is in its own database, ingest/numbered.py).
SKIP = "__pl_skip"
SHARED_NEW_ROWS = (
    f"(SELECT * FROM {SHARED}.{V} v WHERE __reason IS NULL "
    f"AND NOT EXISTS (SELECT 1 FROM {SHARED}.{SKIP} c WHERE c.__row = v.__row))"
)


def stage_skip(conn: duckdb.DuckDBPyConnection) -> str:
    """Copy CLS's rows to SKIP (the working connection, before append_chunks). Returns SHARED_NEW_ROWS."""
    run_sql(conn, f"CREATE OR REPLACE TABLE {SHARED}.{SKIP} AS SELECT __row FROM temp.{store.CLS}")
    return SHARED_NEW_ROWS


def drop_skip(conn: duckdb.DuckDBPyConnection) -> None:
    run_sql(conn, f"DROP TABLE IF EXISTS {SHARED}.{SKIP}")


def _width(conn: duckdb.DuckDBPyConnection) -> int:
    """Chunks appended at once: one per DuckDB thread (each chunk's insert runs on one), at most 4."""
    ((threads,),) = run_sql(conn, "SELECT current_setting('threads')")
    return max(1, min(MAX_PARALLEL, int(threads)))


def _append_one(conn: duckdb.DuckDBPyConnection, kind: Kind, outputs: list[str], run_id: str, source: str,
                lo: int, *, beat: bool) -> int:  # fmt: skip
    """One chunk in its own transaction on its own cursor of `conn` (the database attached as ALIAS);
    `beat`: this transaction also renews the lease (one per round, so two never update its row at once)."""
    cur = conn.cursor()
    try:
        run_sql(cur, f"USE {ALIAS}")
        run_sql(cur, "BEGIN TRANSACTION")
        try:
            done = store.insert_rows(cur, kind, outputs, run_id, (lo, lo + CHUNK_ROWS), source)
            if beat:
                lease.heartbeat(cur, run_id)
            run_sql(cur, "COMMIT")
        except BaseException:
            run_sql(cur, "ROLLBACK")
            raise
        run_sql(cur, "USE memory")
        return done
    finally:
        cur.close()


def append_chunks(
    target: Target, kind: Kind, outputs: list[str], run_id: str, source: str, last_row: int
) -> int:
    """Append the file's new rows (`__row` 0..last_row of the relation `source`, stage_skip's) in
    rounds of short transactions of CHUNK_ROWS rows each, run side by side on their own cursors, each round
    renewing the lease and pausing after it when a reader waits for the lock. While readers come, a round
    is one chunk, so none waits longer than one chunk takes. Returns the rows appended."""
    starts = list(range(0, last_row + 1, CHUNK_ROWS))
    width = _width(target.conn)
    readers_until = 0.0  # a reader waited recently: rounds of one chunk until then
    done = i = 0
    with ThreadPoolExecutor(width, thread_name_prefix="postlaunch-append") as pool:
        while i < len(starts):
            batch = starts[i : i + (1 if time.monotonic() < readers_until else width)]
            if len(batch) > 1 and batch[-1] == starts[-1]:
                # the last chunk, a partial row group, goes through the log and a checkpoint on commit:
                # alone, so no other transaction waits for that
                batch.pop()
            i += len(batch)
            with target.attached() as conn:
                started = time.perf_counter()
                futures = [
                    pool.submit(_append_one, conn, kind, outputs, run_id, source, lo, beat=j == 0)
                    for j, lo in enumerate(batch)
                ]
                wait(futures)  # every transaction ends before the database is detached
                done += sum(f.result() for f in futures)
                LOG.debug(
                    "round from row %d: %d chunks in %.3f s",
                    batch[0],
                    len(batch),
                    time.perf_counter() - started,
                )
            if target.pause_for_waiters():
                readers_until = time.monotonic() + READERS_SECONDS
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
