"""API keys of the operating-status endpoints (DESIGN §14) and the record of every read: a key reads one
deployment's status (or every deployment's, `*`); only its sha256 is stored, the key is shown once. A
read, good or refused, is appended to `status_reads`. The actions that create and revoke keys for a
person are in `actions.statuskeys`; this module owns the table format.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from postlaunch import sqlfiles
from postlaunch.errors import UsageError

EVERY = "*"  # a key for every deployment
KEY_RE = re.compile(r"^plst_([0-9a-f]{8})_[A-Za-z0-9_-]{20,}$")
OUTCOMES = ("ok", "unauthorized", "forbidden", "not_found")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StatusKey:
    key_id: str
    deployment: str
    label: str | None
    created_by: str
    created_at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def may_read(self, deployment: str) -> bool:
        return self.deployment in (EVERY, deployment)


_COLUMNS = "key_id, deployment, label, created_by, created_at, revoked_by, revoked_at"


def _one(conn: duckdb.DuckDBPyConnection, key_id: str) -> StatusKey | None:
    rows = sqlfiles.rows(conn, f"SELECT {_COLUMNS} FROM status_keys WHERE key_id = $id", {"id": key_id})
    return StatusKey(**rows[0]) if rows else None


def create(
    conn: duckdb.DuckDBPyConnection, deployment: str, created_by: str, label: str | None = None
) -> tuple[str, StatusKey]:
    """A new key for `deployment` (or `*`): returns (the key, its record). The key is never stored."""
    while True:
        key_id = secrets.token_hex(4)
        if _one(conn, key_id) is None:
            break
    key = f"plst_{key_id}_{secrets.token_urlsafe(32)}"
    record = StatusKey(key_id, deployment, label, created_by, now_utc())
    conn.execute(
        "INSERT INTO status_keys (key_id, deployment, key_hash, label, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [key_id, deployment, _digest(key), label, created_by, record.created_at],
    )
    return key, record


def list_keys(conn: duckdb.DuckDBPyConnection) -> list[StatusKey]:
    rows = sqlfiles.rows(conn, f"SELECT {_COLUMNS} FROM status_keys ORDER BY created_at, key_id", {})
    return [StatusKey(**r) for r in rows]


def revoke(conn: duckdb.DuckDBPyConnection, key_id: str, revoked_by: str) -> StatusKey:
    """Revoke a key from now on; an unknown or already revoked key is a UsageError naming it."""
    key = _one(conn, key_id)
    if key is None:
        known = ", ".join(k.key_id for k in list_keys(conn)) or "none"
        raise UsageError(f"no status key {key_id!r} (known: {known}; see `postlaunch status-key list`)")
    if not key.active:
        raise UsageError(
            f"status key {key_id} was already revoked by {key.revoked_by} at {key.revoked_at:%Y-%m-%d %H:%M}Z"
        )
    at = now_utc()
    conn.execute(
        "UPDATE status_keys SET revoked_by = ?, revoked_at = ? WHERE key_id = ?", [revoked_by, at, key_id]
    )
    return StatusKey(key.key_id, key.deployment, key.label, key.created_by, key.created_at, revoked_by, at)


def authenticate(conn: duckdb.DuckDBPyConnection, key: str | None) -> StatusKey | None:
    """The active key record `key` belongs to, or None (no key, a malformed, unknown or revoked one)."""
    match = KEY_RE.match(key or "")
    if not match:
        return None
    rows = sqlfiles.rows(
        conn, f"SELECT {_COLUMNS}, key_hash FROM status_keys WHERE key_id = $id", {"id": match.group(1)}
    )
    if not rows:
        return None
    stored = rows[0].pop("key_hash")
    record = StatusKey(**rows[0])
    if not hmac.compare_digest(stored, _digest(key or "")) or not record.active:
        return None
    return record


def key_id_of(key: str | None) -> str | None:
    """The id part of a well-formed key (for the read record of a refused one), else None."""
    match = KEY_RE.match(key or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class Read:
    """One read of the status endpoints, as recorded."""

    outcome: str
    key_id: str | None = None
    deployment: str | None = None
    flag_key: str | None = None
    mode: str | None = None
    decision_seq: int | None = None
    client: str | None = None


def record_reads(conn: duckdb.DuckDBPyConnection, reads: list[Read], at: datetime | None = None) -> None:
    """Append reads to `status_reads` (in one statement, so a bulk read is recorded whole)."""
    if not reads:
        return
    moment = at or now_utc()
    conn.executemany(
        "INSERT INTO status_reads (read_at, key_id, deployment, flag_key, outcome, mode, decision_seq, client) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [moment, r.key_id, r.deployment, r.flag_key, r.outcome, r.mode, r.decision_seq, r.client]
            for r in reads
        ],
    )
