"""Follow-ups of a decision in the decision log (DESIGN §14): after a pause or stop, each person or body
of the runbook's `notify` list is ticked as told, with who ticked it and when. Each follow-up record
carries the hash of its decision and of the follow-up before it, so `postlaunch verify` detects an edit,
a deletion or a tick moved to another decision. It only ever appends.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from postlaunch import fmt, sqlfiles
from postlaunch.decisions import to_utc
from postlaunch.errors import PostlaunchError

KINDS = ("notified",)
FIELDS = ("seq", "decision_seq", "decision_hash", "kind", "item", "recorded_by", "recorded_at", "prev_hash")
_SELECT = f"SELECT {', '.join(FIELDS)}, hash FROM decision_followups"


@dataclass(frozen=True)
class Followup:
    seq: int
    decision_seq: int
    decision_hash: str
    kind: str
    item: str
    recorded_by: str
    recorded_at: datetime
    prev_hash: str
    hash: str


def followup_hash(record: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of every field but `hash` (recorded_at with microseconds)."""
    content = {
        k: (v.isoformat(timespec="microseconds") if isinstance(v, datetime) else v)
        for k, v in record.items()
        if k in FIELDS
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append(
    conn: duckdb.DuckDBPyConnection,
    *,
    decision_seq: int,
    decision_hash: str,
    kind: str,
    item: str,
    recorded_by: str,
    at: datetime,
) -> Followup:
    """Append one follow-up in its own transaction (the single-writer lock orders concurrent ones)."""
    if kind not in KINDS:
        raise PostlaunchError(f"follow-up kind {kind!r} is not one of {', '.join(KINDS)}")
    conn.execute("BEGIN TRANSACTION")
    try:
        last = conn.execute("SELECT seq, hash FROM decision_followups ORDER BY seq DESC LIMIT 1").fetchone()
        record: dict[str, Any] = {
            "seq": (last[0] + 1) if last else 1,
            "decision_seq": decision_seq,
            "decision_hash": decision_hash,
            "kind": kind,
            "item": item,
            "recorded_by": recorded_by,
            "recorded_at": to_utc(at),
            "prev_hash": last[1] if last else "",
        }
        record["hash"] = followup_hash(record)
        conn.execute(
            f"INSERT INTO decision_followups ({', '.join(FIELDS)}, hash) VALUES ({', '.join('$' + f for f in (*FIELDS, 'hash'))})",
            record,
        )
        conn.execute("COMMIT")
    except Exception:
        with contextlib.suppress(duckdb.Error):
            conn.execute("ROLLBACK")
        raise
    return Followup(**record)


def of_decision(conn: duckdb.DuckDBPyConnection, decision_seq: int) -> list[Followup]:
    rows = sqlfiles.rows(conn, f"{_SELECT} WHERE decision_seq = $seq ORDER BY seq", {"seq": decision_seq})
    return [Followup(**r) for r in rows]


@dataclass(frozen=True)
class FollowupStatus:
    ok: bool
    records: int
    message: str = ""

    def summary(self) -> str:
        if self.ok:
            return f"decision follow-ups verified: {fmt.plural(self.records, 'record')}"
        return f"decision follow-ups BROKEN: {self.message}"


def verify(conn: duckdb.DuckDBPyConnection) -> FollowupStatus:
    """Every follow-up's hash, its link to the one before, and its decision's hash as stored."""
    rows = sqlfiles.rows(conn, f"{_SELECT} ORDER BY seq", {})
    decisions = {r["seq"]: r["hash"] for r in sqlfiles.rows(conn, "SELECT seq, hash FROM decisions", {})}
    prev = ""
    for i, rec in enumerate(rows, start=1):
        label = f"follow-up {rec['seq']} (decision {rec['decision_seq']}, {rec['item']})"
        if followup_hash(rec) != rec["hash"]:
            return FollowupStatus(False, len(rows), f"{label}: content was edited (its hash does not match)")
        if rec["seq"] != i:
            return FollowupStatus(
                False, len(rows), f"{label}: follow-up {i} is missing or the records were reordered"
            )
        if rec["prev_hash"] != prev:
            return FollowupStatus(False, len(rows), f"{label}: prev_hash does not match follow-up {i - 1}")
        if decisions.get(rec["decision_seq"]) != rec["decision_hash"]:
            return FollowupStatus(False, len(rows), f"{label}: its decision record is missing or was changed")
        prev = rec["hash"]
    return FollowupStatus(True, len(rows))
