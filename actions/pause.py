"""What follows a pause or stop (DESIGN §14): ticking, one by one, each person or body of the runbook's
`notify` list as told, with who ticked and when, into the decision log's follow-ups. One function per
action, taking the acting person's name, so the role checks of DESIGN §17 plug in here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from postlaunch import followups, opstatus
from postlaunch.config import Context
from postlaunch.errors import UsageError


@dataclass(frozen=True)
class HaltRunbook:
    """The runbook a pause or stop was recorded under (from the decision record itself)."""

    decision_seq: int
    decision_hash: str
    decision: str
    fallback: str | None
    safe_state: str | None
    notify: list[str]
    fail_mode: str | None


def halt_runbook(
    conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str, decision_seq: int
) -> HaltRunbook:
    """The pause or stop decision `decision_seq` of `deployment` and its runbook; a UsageError otherwise."""
    ctx.registry.get(deployment)
    cur = conn.cursor()
    try:
        row = cur.execute(
            "SELECT deployment, decision, runbook, hash FROM decisions WHERE seq = ?", [decision_seq]
        ).fetchone()
    finally:
        cur.close()
    if row is None or row[0] != deployment:
        raise UsageError(f"decision {decision_seq} is not a decision of {deployment}")
    rec = dict(zip(("deployment", "decision", "runbook", "hash"), row, strict=True))
    if rec["decision"] not in ("pause", "stop"):
        raise UsageError(
            f"decision {decision_seq} is {rec['decision']}, not a pause or stop: nobody is to be told"
        )
    book = json.loads(rec["runbook"]) if rec.get("runbook") else {}
    if not book:  # recorded before runbooks were kept with the decision: the registry's runbook now
        runbook = ctx.registry.get(deployment).runbook
        book = {
            "fallback": runbook.fallback,
            "safe_state": runbook.safe_state,
            "notify": list(runbook.notify),
        }
    return HaltRunbook(
        decision_seq, rec["hash"], rec["decision"], book.get("fallback"), book.get("safe_state"),
        list(book.get("notify") or []), book.get("fail_mode"),
    )  # fmt: skip


def record_notification(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    *,
    deployment: str,
    decision_seq: int,
    notified: str,
    by: str,
    now: datetime | None = None,
) -> followups.Followup:
    """Tick `notified` (an entry of the runbook's notify list) as told of pause/stop `decision_seq`, by
    `by`, now. Refuses (UsageError) a name not on the list, a second tick of the same name, or no `by`."""
    if not by or not by.strip():
        raise UsageError("who ticked it is empty: name the person who told them")
    book = halt_runbook(conn, ctx, deployment, decision_seq)
    if notified not in book.notify:
        listed = ", ".join(book.notify) or "nobody (the runbook lists no notify entries)"
        raise UsageError(f"{notified!r} is not on the notify list of decision {decision_seq}: {listed}")
    done = {f.item: f for f in followups.of_decision(conn, decision_seq) if f.kind == "notified"}
    if notified in done:
        tick = done[notified]
        raise UsageError(
            f"{notified} was already ticked as told by {tick.recorded_by} at {tick.recorded_at:%Y-%m-%d %H:%M}Z"
        )
    return followups.append(
        conn, decision_seq=decision_seq, decision_hash=book.decision_hash, kind="notified", item=notified,
        recorded_by=by.strip(), at=now or datetime.now(UTC),
    )  # fmt: skip


def latest_halt(
    conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str
) -> opstatus.OperatingStatus | None:
    """The deployment's status when its latest decision is a pause or stop (else None)."""
    status = opstatus.status_of(conn, ctx.registry, deployment)
    return status if status.source == "decision" and status.mode in opstatus.HALTED else None
