"""Read-only evidence for the dashboard's Evidence and Data pages: the decision log with its chain
status and signatures, a decision's snapshot, change records, ingest runs, quarantined rows and the
access log. The record format
and its verification live in `postlaunch.decisions`, so `verify` and the pages agree. It never writes.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from metrics.queries import frame, run
from postlaunch.decisions import (
    RECORD_FIELDS,
    ChainStatus,
    signer,
    stored_records,
    verify_chain,
    verify_records,
)

__all__ = [
    "ChainStatus",
    "access_records",
    "change_records",
    "decision_log",
    "decision_snapshot",
    "ingest_runs",
    "ingest_runs_matching",
    "quarantine_reasons",
    "quarantined_rows",
    "verify_chain",
]


def decision_log(conn: duckdb.DuckDBPyConnection, deployment: str | None = None) -> pd.DataFrame:
    """The decision log, newest first, without snapshots; `chain` is `verified`, `broken` (the first
    failing record) or `unverified` (recorded after the break)."""
    records = stored_records(conn)
    status = verify_records(records)
    rows = []
    for rec in records:
        if status.ok or status.broken_seq is None or rec["seq"] < status.broken_seq:
            chain = "verified"
        else:
            chain = "broken" if rec["seq"] == status.broken_seq else "unverified"
        if deployment is not None and rec["deployment"] != deployment:
            continue
        attendees = json.loads(rec["attendees"]) if rec["attendees"] else []
        rows.append(
            {
                **{k: rec[k] for k in RECORD_FIELDS if k != "snapshot"},
                "decided_by": signer(rec),
                "countersigned_by": signer(rec, "countersigned") if rec.get("countersigned_by") else None,
                "attendees": attendees,
                "hash": rec["hash"],
                "chain": chain,
                "supersedes": rec.get("supersedes"),
            }
        )
    columns = [
        *(k for k in RECORD_FIELDS if k != "snapshot"),
        "countersigned_by",
        "hash",
        "chain",
        "supersedes",
    ]
    return pd.DataFrame(rows, columns=columns).iloc[::-1].reset_index(drop=True)


def decision_snapshot(conn: duckdb.DuckDBPyConnection, seq: int) -> dict[str, Any] | None:
    """The review JSON recorded with decision `seq`, as it stood then (None when there is no such record)."""
    rows = run(conn, "ev_decision_snapshot", {"seq": seq})
    return json.loads(rows[0]["snapshot"]) if rows else None


def change_records(
    conn: duckdb.DuckDBPyConnection,
    deployment: str | None = None,
    start: datetime | date | None = None,
    end: datetime | date | None = None,
) -> pd.DataFrame:
    """Change records, oldest first, with ts in [start, end) (UTC; a date means its midnight)."""
    return frame(conn, "ev_change_records", {"dep": deployment, "start": start, "end": end})


def ingest_runs(conn: duckdb.DuckDBPyConnection, kind: str | None = None, limit: int = 500) -> pd.DataFrame:
    """Ingest runs, newest first: file, sha256, kind, counts, status and message, who and when."""
    return frame(conn, "ev_ingest_runs", {"kind": kind, "limit": limit})


def quarantined_rows(
    conn: duckdb.DuckDBPyConnection,
    run_id: str | None = None,
    kind: str | None = None,
    limit: int | None = 1000,
    *,
    file: str | None = None,
    reason: str | None = None,
) -> pd.DataFrame:
    """Quarantined source rows (each once, however often ingested) with file, line, field and reason, in
    the order first quarantined; `run_id` keeps those a run met, `file` (path, file name or glob) and
    `reason` (text it contains) narrow them; `limit` None means every row."""
    params = {"run": run_id, "kind": kind, "file": file, "reason": reason, "limit": limit}
    return frame(conn, "ev_quarantined_rows", params)


def quarantine_reasons(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """How many source rows were quarantined for each kind, field and reason (the `line N:` prefix
    removed), most first."""
    return frame(conn, "ev_quarantine_reasons", {})


def access_records(
    conn: duckdb.DuckDBPyConnection,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    person: str | None = None,
    action: str | None = None,
    deployments: list[str] | None = None,
    limit: int = 2000,
) -> pd.DataFrame:
    """The access log on `conn` (a connection to the access log's own file), newest first: records in
    [start, end) (UTC), of a person (part of the identity or e-mail), an action, and (when given) only
    those deployments."""
    params = {
        "start": start,
        "end": end,
        "person": person.strip() if person and person.strip() else None,
        "action": action,
        "deployments": deployments,
        "limit": limit,
    }
    return frame(conn, "ev_access_log", params)


def ingest_runs_matching(conn: duckdb.DuckDBPyConnection, prefix: str) -> list[dict[str, Any]]:
    """The ingest runs whose id is `prefix` or starts with it, oldest first."""
    return run(conn, "ev_quarantine_runs", {"run": prefix})


def readiness_records(conn: duckdb.DuckDBPyConnection, deployment: str) -> pd.DataFrame:
    """Every readiness record of `deployment`, newest first: item, status, evidence, dates, who
    reviewed it, who recorded it and how (file or form). Records are append-only."""
    return frame(conn, "ev_readiness_records", {"dep": deployment})


def decision_followups(conn: duckdb.DuckDBPyConnection, deployment: str | None = None) -> pd.DataFrame:
    """Who was told of each pause or stop, who ticked it and when, newest first."""
    return frame(conn, "ev_decision_followups", {"dep": deployment})


def status_reads(
    conn: duckdb.DuckDBPyConnection, deployment: str | None = None, limit: int = 500
) -> pd.DataFrame:
    """The latest reads of the operating-status endpoints (answered and refused), newest first."""
    return frame(conn, "ev_status_reads", {"dep": deployment, "limit": limit})
