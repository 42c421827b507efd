"""Records registry changes as change records (kind `policy`): when postlaunch.toml's deployments
differ from the state stored at the last run, one change record per changed deployment says what
changed. Writes only `registry_state` and `changes`.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from typing import Any

import duckdb
from pydantic import ValidationError

from postlaunch.registry import Deployment, Registry

_IGNORED = {"id"}


def _full(state: dict[str, Any]) -> dict[str, Any]:
    """A deployment's recorded state (keys at their default left out) with the defaults filled back in,
    so a summary says `max_data_class "internal" -> "confidential"`, not `null -> ...`."""
    try:
        return Deployment(**state).model_dump(mode="json")
    except ValidationError:  # recorded by another version of postlaunch: compare as recorded
        return state


def _summarize(dep_id: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    if old is not None and new is not None:
        old, new = _full(old), _full(new)
    if old is None:
        return f"registry: deployment {dep_id} added (risk tier {new.get('risk_tier') if new else '?'})"
    if new is None:
        return f"registry: deployment {dep_id} removed"
    parts = []
    for key in sorted(set(old) | set(new)):
        if key in _IGNORED or old.get(key) == new.get(key):
            continue
        parts.append(f"{key} {json.dumps(old.get(key))} -> {json.dumps(new.get(key))}")
    text = "; ".join(parts)
    if len(text) > 600:
        text = text[:597] + "..."
    return f"registry: {text}"


def record_registry_change(conn: duckdb.DuckDBPyConnection, registry: Registry) -> list[str]:
    """Compare the registry with the last recorded state; record policy change records. Returns summaries.

    The first run only records the state (there is nothing to compare with).
    """
    content = registry.canonical_json()
    sha = hashlib.sha256(content.encode()).hexdigest()
    last = conn.execute(
        "SELECT sha256, content FROM registry_state ORDER BY recorded_at DESC LIMIT 1"
    ).fetchone()
    if last and last[0] == sha:
        return []
    summaries: list[str] = []
    who = _user()
    conn.execute("BEGIN TRANSACTION")
    try:
        if last:
            old_all: dict[str, Any] = json.loads(last[1])
            new_all: dict[str, Any] = json.loads(content)
            for dep_id in sorted(set(old_all) | set(new_all)):
                old, new = old_all.get(dep_id), new_all.get(dep_id)
                if old == new:
                    continue
                summary = _summarize(dep_id, old, new)
                summaries.append(f"{dep_id}: {summary}")
                ident = hashlib.md5(f"registry\x1f{sha}\x1f{dep_id}".encode()).hexdigest()
                conn.execute(
                    """
                    INSERT INTO changes (identity, content_hash, ts, deployment, kind, summary, changed_by,
                                         approved_by, source, run_id, line)
                    VALUES (?::UHUGEINT, ?::UHUGEINT, now()::TIMESTAMP, ?, 'policy', ?, ?, NULL, 'registry', NULL, NULL)
                    """,
                    [int(ident, 16), int(ident, 16), dep_id, summary, who],
                )
        conn.execute(
            "INSERT INTO registry_state VALUES (now()::TIMESTAMP, ?, ?)",
            [sha, content],
        )
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
    return summaries


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"
