"""Decisions waiting for a second signature (DESIGN §17): a high-tier *expand*, or a return from pause,
is kept here as a proposal until a second person with governance or owner rights countersigns it; the
countersigned decision is then one record of the hash-chained log (`postlaunch.decisions`).

It stores and reads proposals only; who may propose, countersign or withdraw is `actions.countersign`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from postlaunch.db import transaction
from postlaunch.errors import UsageError

# The proposal's fields that become the decision record's own, in the table's order.
RECORD_KEYS: tuple[str, ...] = (
    "deployment",
    "week",
    "decision",
    "rationale",
    "decided_by",
    "decided_by_email",
    "decided_via",
    "decided_os_user",
    "attendees",
    "actions",
    "next_review",
    "decided_at",
    "snapshot",
    "runbook",  # the runbook a proposed pause or stop was taken under (DESIGN §14)
    "return_criteria",  # the return criteria checked by a proposed return from pause
)
_COLUMNS: tuple[str, ...] = (
    "id",
    *RECORD_KEYS,
    "reason",
    "after_seq",
    "status",
    "closed_by",
    "closed_at",
    "seq",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM decision_proposals"


@dataclass(frozen=True)
class Proposal:
    """A decision proposed and not yet countersigned (or, once closed, what became of it)."""

    id: int
    deployment: str
    week: str
    decision: str
    rationale: str
    decided_by: str
    decided_by_email: str | None
    decided_via: str
    decided_os_user: str | None
    attendees: str
    actions: str | None
    next_review: date | None
    decided_at: datetime
    snapshot: str
    runbook: str | None
    return_criteria: str | None
    reason: str
    after_seq: int
    status: str  # open | recorded | withdrawn
    closed_by: str | None
    closed_at: datetime | None
    seq: int | None

    @property
    def proposer(self) -> str:
        """`Name (e-mail)` or `Name (OS user x)`: as the proposer appears on a page or in a message."""
        if self.decided_by_email:
            return f"{self.decided_by} ({self.decided_by_email})"
        return (
            f"{self.decided_by} (OS user {self.decided_os_user})" if self.decided_os_user else self.decided_by
        )

    @property
    def attendee_list(self) -> list[str]:
        return list(json.loads(self.attendees)) if self.attendees else []

    def record_fields(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in RECORD_KEYS}


def create(
    conn: duckdb.DuckDBPyConnection, fields: Mapping[str, Any], reason: str, after_seq: int
) -> Proposal:
    """Store a proposal (`fields`: every RECORD_KEYS key) as `open`; returns it with its id."""
    with transaction(conn):
        row = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM decision_proposals").fetchone()
        values: dict[str, Any] = {key: fields.get(key) for key in RECORD_KEYS}
        values.update(
            id=int(row[0]) if row else 1,
            reason=reason,
            after_seq=after_seq,
            status="open",
            closed_by=None,
            closed_at=None,
            seq=None,
        )
        conn.execute(
            f"INSERT INTO decision_proposals ({', '.join(_COLUMNS)}) VALUES ({', '.join('$' + c for c in _COLUMNS)})",
            values,
        )
    return Proposal(**values)


def get(conn: duckdb.DuckDBPyConnection, proposal_id: int) -> Proposal:
    """The proposal `proposal_id`, or a UsageError naming the open ones."""
    cur = conn.cursor()
    try:
        row = cur.execute(f"{_SELECT} WHERE id = ?", [proposal_id]).fetchone()
    finally:
        cur.close()
    if row is None:
        open_ids = ", ".join(str(p.id) for p in listed(conn)) or "none"
        raise UsageError(f"no decision proposal {proposal_id}; open proposals: {open_ids}")
    return Proposal(**dict(zip(_COLUMNS, row, strict=True)))


def listed(
    conn: duckdb.DuckDBPyConnection, deployment: str | None = None, status: str | None = "open"
) -> list[Proposal]:
    """Proposals (open ones by default), oldest first, of one deployment or all."""
    cur = conn.cursor()
    try:
        rows = cur.execute(
            f"{_SELECT} WHERE ($deployment IS NULL OR deployment = $deployment) "
            "AND ($status IS NULL OR status = $status) ORDER BY id",
            {"deployment": deployment, "status": status},
        ).fetchall()
    finally:
        cur.close()
    return [Proposal(**dict(zip(_COLUMNS, row, strict=True))) for row in rows]


def close(
    conn: duckdb.DuckDBPyConnection,
    proposal_id: int,
    status: str,
    closed_by: str,
    closed_at: datetime,
    seq: int | None = None,
) -> None:
    """Mark an open proposal `recorded` (as decision record `seq`) or `withdrawn`; the caller holds the
    transaction. A proposal closed meanwhile is refused."""
    changed = conn.execute(
        "UPDATE decision_proposals SET status = ?, closed_by = ?, closed_at = ?, seq = ? "
        "WHERE id = ? AND status = 'open' RETURNING id",
        [status, closed_by, closed_at, seq, proposal_id],
    ).fetchall()
    if not changed:
        raise UsageError(f"decision proposal {proposal_id} is no longer open (someone closed it meanwhile)")
