"""Read-only evidence for the dashboard's Evidence and Data pages: the decision log with its chain
status, change records, ingest runs, quarantined rows and each deployment's review schedule.

It owns how a decision record is hashed and how the chain is verified (both only read), so that
`postlaunch.decisions` (the one writer of `decisions`) and the pages agree. It never writes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pandas as pd

# The columns of a decision record in the order they are stored; `hash` covers all the others.
RECORD_FIELDS: tuple[str, ...] = (
    "seq",
    "deployment",
    "week",
    "decision",
    "rationale",
    "decided_by",
    "attendees",
    "actions",
    "next_review",
    "decided_at",
    "snapshot",
    "prev_hash",
)
_SELECT_RECORDS = f"SELECT {', '.join(RECORD_FIELDS)}, hash FROM decisions ORDER BY seq"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical_record(record: dict[str, Any]) -> str:
    """The canonical JSON a record's hash is taken of: every field except `hash`, keys sorted, compact,
    UTF-8, dates as ISO 8601 (`decided_at` with microseconds). Anyone can recompute it from the table."""
    return json.dumps(
        {name: _plain(record.get(name)) for name in RECORD_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def record_hash(record: dict[str, Any]) -> str:
    """sha256 (hex) of `canonical_record(record)`."""
    return hashlib.sha256(canonical_record(record).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainStatus:
    """The outcome of verifying the decision log. `broken_seq` is the first record that fails."""

    ok: bool
    records: int
    last_hash: str
    broken_seq: int | None = None
    message: str = ""

    def summary(self) -> str:
        if self.ok and self.records == 0:
            return "decision log verified: 0 records (nothing recorded yet)"
        if self.ok:
            return f"decision log verified: {self.records} records, last hash {self.last_hash[:12]}…"
        return f"decision log BROKEN: {self.message}"


def _label(rec: dict[str, Any]) -> str:
    return f"record {rec['seq']} ({rec['deployment']} {rec['week']})"


def _diagnose(records: list[dict[str, Any]], index: int) -> ChainStatus | None:
    """The first problem at `records[index]`, or None when it is sound."""
    rec = records[index]
    prev = records[index - 1] if index else None
    expected_seq = prev["seq"] + 1 if prev else 1
    if record_hash(rec) != rec["hash"]:
        # Stored under another seq than it was written with? Then the records were reordered.
        for other in records:
            moved = dict(rec, seq=other["seq"])
            if other["seq"] != rec["seq"] and record_hash(moved) == rec["hash"]:
                return ChainStatus(
                    False,
                    len(records),
                    records[-1]["hash"],
                    rec["seq"],
                    f"{_label(rec)}: out of order — its content was recorded as record {other['seq']} "
                    "and its prev_hash does not match the record before it; records were reordered",
                )
        return ChainStatus(
            False,
            len(records),
            records[-1]["hash"],
            rec["seq"],
            f"{_label(rec)}: content was edited — stored hash {rec['hash'][:12]}… does not match "
            f"its content (sha256 {record_hash(rec)[:12]}…)",
        )
    if rec["seq"] != expected_seq:
        gap = rec["seq"] - expected_seq
        missing = f"record {expected_seq} is" if gap == 1 else f"records {expected_seq}-{rec['seq'] - 1} are"
        where = (
            f"{_label(rec)} is the first record"
            if prev is None
            else f"record {rec['seq']} follows record {prev['seq']}"
        )
        return ChainStatus(
            False,
            len(records),
            records[-1]["hash"],
            rec["seq"],
            f"{where}: {missing} missing or the chain was cut",
        )
    want_prev = prev["hash"] if prev else ""
    if rec["prev_hash"] != want_prev:
        before = f"record {prev['seq']}'s hash {want_prev[:12]}…" if prev else "'' (it is the first record)"
        return ChainStatus(
            False,
            len(records),
            records[-1]["hash"],
            rec["seq"],
            f"{_label(rec)}: prev_hash {rec['prev_hash'][:12] or chr(39) * 2}… does not match {before} — "
            "a record before it was replaced or the records were reordered",
        )
    return None


def _records(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cur = conn.cursor()
    try:
        rows = cur.execute(_SELECT_RECORDS).fetchall()
    finally:
        cur.close()
    names = (*RECORD_FIELDS, "hash")
    return [dict(zip(names, row, strict=True)) for row in rows]


def verify_records(records: list[dict[str, Any]]) -> ChainStatus:
    """Recompute every hash and link of `records` (ordered by seq); report the first broken one."""
    for index in range(len(records)):
        problem = _diagnose(records, index)
        if problem is not None:
            return problem
    return ChainStatus(True, len(records), records[-1]["hash"] if records else "")


def verify_chain(conn: duckdb.DuckDBPyConnection) -> ChainStatus:
    """Verify the whole decision log in the database."""
    return verify_records(_records(conn))


def decision_log(conn: duckdb.DuckDBPyConnection, deployment: str | None = None) -> pd.DataFrame:
    """The decision log, newest first, without snapshots; `chain` is `verified`, `broken` (the first
    failing record) or `unverified` (recorded after the break)."""
    records = _records(conn)
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
                "attendees": attendees,
                "hash": rec["hash"],
                "chain": chain,
            }
        )
    columns = [*(k for k in RECORD_FIELDS if k != "snapshot"), "hash", "chain"]
    return pd.DataFrame(rows, columns=columns).iloc[::-1].reset_index(drop=True)


def decision_snapshot(conn: duckdb.DuckDBPyConnection, seq: int) -> dict[str, Any] | None:
    """The review JSON recorded with decision `seq`, as it stood then (None when there is no such record)."""
    cur = conn.cursor()
    try:
        row = cur.execute("SELECT snapshot FROM decisions WHERE seq = ?", [seq]).fetchone()
    finally:
        cur.close()
    return json.loads(row[0]) if row else None


def _frame(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> pd.DataFrame:
    cur = conn.cursor()
    try:
        return cur.execute(sql, params).df()
    finally:
        cur.close()


def change_records(
    conn: duckdb.DuckDBPyConnection,
    deployment: str | None = None,
    start: datetime | date | None = None,
    end: datetime | date | None = None,
) -> pd.DataFrame:
    """Change records, oldest first, with ts in [start, end) (UTC; a date means its midnight)."""
    return _frame(
        conn,
        """
        SELECT ts, deployment, kind, summary, changed_by, approved_by, source, run_id, line
        FROM changes
        WHERE ($dep IS NULL OR deployment = $dep)
          AND ($start IS NULL OR ts >= $start::TIMESTAMP)
          AND ($end IS NULL OR ts < $end::TIMESTAMP)
        ORDER BY ts, deployment, kind, summary
        """,
        {"dep": deployment, "start": start, "end": end},  # type: ignore[arg-type]
    )


def ingest_runs(conn: duckdb.DuckDBPyConnection, kind: str | None = None, limit: int = 500) -> pd.DataFrame:
    """Ingest runs, newest first: file, sha256, kind, counts, status and message, who and when."""
    return _frame(
        conn,
        """
        SELECT run_id, started_at, finished_at, file, kind, adapter, format, rows, loaded, duplicates,
               quarantined, status, message, extra_columns, sha256, who, host
        FROM ingest_runs
        WHERE ($kind IS NULL OR kind = $kind)
        ORDER BY started_at DESC, file
        LIMIT $limit
        """,
        {"kind": kind, "limit": limit},  # type: ignore[arg-type]
    )


def quarantined_rows(
    conn: duckdb.DuckDBPyConnection, run_id: str | None = None, kind: str | None = None, limit: int = 1000
) -> pd.DataFrame:
    """Quarantined rows with their reasons, newest run first, in file order."""
    return _frame(
        conn,
        """
        SELECT q.quarantined_at, q.kind, q.file, q.line, q.reason, q.raw, q.run_id
        FROM quarantine q
        WHERE ($run IS NULL OR q.run_id = $run) AND ($kind IS NULL OR q.kind = $kind)
        ORDER BY q.quarantined_at DESC, q.file, q.line
        LIMIT $limit
        """,
        {"run": run_id, "kind": kind, "limit": limit},  # type: ignore[arg-type]
    )


def quarantine_reasons(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """How many rows were quarantined for each reason (the `line N:` prefix removed), most first."""
    return _frame(
        conn,
        """
        SELECT kind, regexp_replace(reason, '^line [0-9]+: ', '') AS reason, count(*) AS rows,
               count(DISTINCT file) AS files, min(file) AS example_file, min(line) AS example_line
        FROM quarantine
        GROUP BY ALL
        ORDER BY rows DESC, kind, reason
        """,
        [],
    )


def review_schedule(
    conn: duckdb.DuckDBPyConnection, deployments: list[str], today: date | None = None
) -> list[dict[str, Any]]:
    """Per deployment: the last decision (what, for which week, by whom, when), its next review date and
    whether that review is overdue on `today` (UTC date). Deployments never decided have empty fields."""
    today = today or datetime.now(UTC).date()
    last = _frame(
        conn,
        """
        SELECT deployment, seq, week, decision, decided_by, decided_at, next_review
        FROM decisions
        QUALIFY row_number() OVER (PARTITION BY deployment ORDER BY seq DESC) = 1
        """,
        [],
    )
    by_dep = {row["deployment"]: row for row in last.to_dict("records")}
    rows = []
    for dep in deployments:
        rec = by_dep.get(dep)
        nxt = rec["next_review"] if rec else None
        nxt = nxt.date() if isinstance(nxt, datetime) else (nxt if isinstance(nxt, date) else None)
        overdue_days = (today - nxt).days if nxt is not None and today > nxt else 0
        rows.append(
            {
                "deployment": dep,
                "last_decision": rec["decision"] if rec else None,
                "last_week": rec["week"] if rec else None,
                "decided_by": rec["decided_by"] if rec else None,
                "decided_at": rec["decided_at"] if rec else None,
                "seq": int(rec["seq"]) if rec else None,
                "next_review": nxt,
                "overdue": overdue_days > 0,
                "days_overdue": overdue_days,
            }
        )
    return rows
