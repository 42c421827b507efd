"""The access log (DESIGN §17): who signed in, viewed, exported, decided, labelled, recorded readiness,
uploaded or read a status, when, on which deployment. Append-only; only `prune` deletes, and never
what `retention_days` protects.

It lives in a DuckDB file of its own (setting `access_log`, default `<database>.access.duckdb`), so a
page view never changes the database file every cached page is keyed on and never waits for an ingest.
This module writes and prunes it; reading it for a page is `metrics.evidence.access_records`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from postlaunch import db, schema
from postlaunch.access import LOG_ACTIONS, Identity
from postlaunch.settings import Settings


@dataclass(frozen=True)
class AccessEvent:
    """One line of the access log."""

    ts: datetime  # UTC, naive
    identity: str
    email: str | None
    via: str
    action: str
    deployment: str | None
    detail: str | None


def event(
    identity: Identity,
    action: str,
    deployment: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> AccessEvent:
    """An access event by `identity` now (or at `at`)."""
    if action not in LOG_ACTIONS:
        raise ValueError(f"unknown access-log action {action!r}; known: {', '.join(LOG_ACTIONS)}")
    moment = at or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return AccessEvent(moment, identity.label, identity.email, identity.source, action, deployment, detail)


def path_of(settings: Settings) -> Path:
    """The access log's file: setting `access_log`, else `<database stem>.access.duckdb` beside it."""
    if settings.access_log is not None:
        return Path(settings.access_log)
    database = Path(settings.db)
    return database.with_name(f"{database.stem}.access.duckdb")


@contextmanager
def connect(settings: Settings, timeout: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection to the access log (created and migrated on first use)."""
    with db.connect(
        path_of(settings),
        timeout=settings.lock_timeout_seconds if timeout is None else timeout,
        migrations=schema.ACCESS_MIGRATIONS,
    ) as conn:
        yield conn


def append(conn: duckdb.DuckDBPyConnection, events: Iterable[AccessEvent]) -> int:
    """Append `events` in one transaction; returns how many."""
    rows = [astuple(e) for e in events]
    if not rows:
        return 0
    with db.transaction(conn):
        conn.executemany(
            "INSERT INTO access_log (ts, identity, email, via, action, deployment, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def record(settings: Settings, events: Iterable[AccessEvent]) -> int:
    """Append `events` on a connection of their own (a command's or a write's access record)."""
    events = list(events)
    if not events:
        return 0
    with connect(settings) as conn:
        return append(conn, events)


def _windows(cutoff: datetime, floors: dict[str, datetime]) -> dict[str, datetime]:
    """Per floored deployment, the date before which its records may go: the earlier of both."""
    return {dep: min(cutoff, floor) for dep, floor in floors.items()}


def count_before(
    conn: duckdb.DuckDBPyConnection, cutoff: datetime, floors: dict[str, datetime]
) -> tuple[int, dict[str, int]]:
    """(records before `cutoff` that may go, and per deployment in `floors` the records before `cutoff`
    that its floor keeps). A floored deployment's records go only when older than its floor too."""
    cur = conn.cursor()
    try:
        before = dict(
            cur.execute(
                "SELECT coalesce(deployment, ''), count(*) FROM access_log WHERE ts < ? GROUP BY ALL",
                [cutoff],
            ).fetchall()
        )
        kept: dict[str, int] = {}
        for dep, until in _windows(cutoff, floors).items():
            row = cur.execute(
                "SELECT count(*) FROM access_log WHERE deployment = ? AND ts >= ? AND ts < ?",
                [dep, until, cutoff],
            ).fetchone()
            if row and row[0]:
                kept[dep] = int(row[0])
    finally:
        cur.close()
    return sum(int(n) for n in before.values()) - sum(kept.values()), kept


def delete_before(conn: duckdb.DuckDBPyConnection, cutoff: datetime, floors: dict[str, datetime]) -> int:
    """Delete records before `cutoff` (naive UTC), except a floored deployment's records not older than its floor.
    The caller holds the transaction. Returns how many went."""
    floored = list(floors)
    total = _deleted(
        conn,
        "DELETE FROM access_log WHERE ts < ? AND (deployment IS NULL OR NOT list_contains(?::VARCHAR[], deployment))",
        [cutoff, floored],
    )
    for dep, until in _windows(cutoff, floors).items():
        total += _deleted(conn, "DELETE FROM access_log WHERE deployment = ? AND ts < ?", [dep, until])
    return total


def _deleted(conn: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> int:
    row = conn.execute(sql, params).fetchone()  # DuckDB answers a DELETE with the count of rows
    return int(row[0]) if row else 0
