"""The decision log (DESIGN §8): the one writer of the `decisions` table. It appends hash-chained
records — the owner's decision with the review snapshot as it stood — and verifies the chain.

Records are only ever appended, never updated or deleted. How a record is hashed and how the chain
is checked lives in `metrics.evidence` (read-only), so the Evidence page and `verify` agree.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from metrics import weeks
from metrics.evidence import ChainStatus, canonical_record, record_hash, verify_chain
from postlaunch.config import Context
from postlaunch.errors import PostlaunchError, UsageError
from postlaunch.registry import WEEKDAYS
from postlaunch.registry_log import record_registry_change

__all__ = [
    "ACTIONS",
    "ChainStatus",
    "DecisionRecord",
    "canonical_record",
    "default_next_review",
    "parse_week",
    "record_decision",
    "record_hash",
    "verify_chain",
]

ACTIONS: tuple[str, ...] = ("expand", "continue", "limit", "pause", "stop")
_RETRIES = 8


@dataclass(frozen=True)
class DecisionRecord:
    """One record of the decision log, as stored."""

    seq: int
    deployment: str
    week: str
    decision: str
    rationale: str
    decided_by: str
    attendees: str  # JSON list of names
    actions: str | None
    next_review: date | None
    decided_at: datetime  # UTC, naive
    snapshot: str  # the review JSON
    prev_hash: str
    hash: str

    @property
    def attendee_list(self) -> list[str]:
        return list(json.loads(self.attendees)) if self.attendees else []

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_week(text: str) -> date:
    """The Monday of ISO week `YYYY-Www` (metrics.weeks.parse_week); here a bad week is a usage error."""
    try:
        return weeks.parse_week(text)
    except PostlaunchError as exc:
        raise UsageError(str(exc)) from None


def week_end(week: str) -> date:
    """The Sunday that ends ISO week `week`."""
    return parse_week(week) + timedelta(days=6)


def default_next_review(week: str, review_day: str) -> date:
    """The deployment's review day one week after the meeting that reviews `week` (that meeting is the
    first review day after the week's end): for a Monday review of 16-22 Nov, Monday 30 Nov."""
    end = week_end(week)
    ahead = (WEEKDAYS.index(review_day) - end.weekday()) % 7 or 7
    return end + timedelta(days=ahead + 7)


def _available_weeks(conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str) -> list[str]:
    from metrics.api import available_weeks

    return list(available_weeks(conn, ctx, deployment))


def _build_review(
    conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str, week: str
) -> dict[str, Any]:
    from metrics.api import build_review

    return build_review(conn, ctx, deployment, week)


def _check_inputs(
    ctx: Context,
    deployment: str,
    week: str,
    decision: str,
    rationale: str,
    decided_by: str,
    next_review: date | None,
) -> date:
    if deployment not in ctx.registry.deployments:
        known = ", ".join(ctx.registry.ids) or "none: the registry is empty"
        raise UsageError(f"unknown deployment {deployment!r}; known: {known}")
    end = week_end(week)
    if decision not in ACTIONS:
        raise UsageError(f"decision {decision!r} is not one of {', '.join(ACTIONS)}")
    if not isinstance(rationale, str) or not rationale.strip():
        raise UsageError("the rationale is empty: say why, in a sentence the next review can read")
    if not isinstance(decided_by, str) or not decided_by.strip():
        raise UsageError("--by is empty: name who decided (the deployment's owner or their delegate)")
    if next_review is not None and next_review <= end:
        raise UsageError(
            f"next review {next_review.isoformat()} must fall after the end of {week} ({end.isoformat()})"
        )
    return end


def _week_has_data(conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str, week: str) -> None:
    weeks = _available_weeks(conn, ctx, deployment)
    if week in weeks:
        return
    if not weeks:
        raise UsageError(
            f"no usage data for {deployment} in any week: load data with `postlaunch ingest usage FILE`"
        )
    raise UsageError(
        f"no usage data for {deployment} in {week}; data covers {min(weeks)} to {max(weeks)} ({len(weeks)} weeks)"
    )


def record_decision(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    *,
    deployment: str,
    week: str,
    decision: str,
    rationale: str,
    decided_by: str,
    attendees: Iterable[str] = (),
    actions: str | None = None,
    next_review: date | None = None,
    snapshot: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> DecisionRecord:
    """Validate a decision and append it to the log with the review snapshot; returns the stored record.

    Refuses (UsageError) an unknown deployment, a malformed week or one without usage data, an unknown
    action, an empty rationale or decider, a next review not after the week's end. `snapshot` defaults
    to `metrics.api.build_review` for the deployment-week; `next_review` to `default_next_review`.
    The append reads the last record and inserts the next one in one transaction on `conn` (a writable
    connection); DuckDB's single-writer lock orders concurrent processes into one chain.
    """
    week = week.strip() if isinstance(week, str) else week
    _check_inputs(ctx, deployment, week, decision, rationale, decided_by, next_review)
    _week_has_data(conn, ctx, deployment, week)
    if snapshot is None:
        snapshot = _build_review(conn, ctx, deployment, week)
    elif snapshot.get("deployment") != deployment or snapshot.get("week") != week:
        raise PostlaunchError(
            f"the review snapshot is for {snapshot.get('deployment')} {snapshot.get('week')}, "
            f"not for {deployment} {week}"
        )
    if next_review is None:
        next_review = default_next_review(week, ctx.registry.get(deployment).review_day)
    names = [a.strip() for a in attendees if a and a.strip()]
    fields: dict[str, Any] = {
        "deployment": deployment,
        "week": week,
        "decision": decision,
        "rationale": rationale.strip(),
        "decided_by": decided_by.strip(),
        "attendees": json.dumps(names, ensure_ascii=False),
        "actions": actions.strip() if actions and actions.strip() else None,
        "next_review": next_review,
        "decided_at": _utc(now or datetime.now(UTC)),
        "snapshot": json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"), default=str),
    }
    # the registry the decision was taken under is on record too (a policy change record when it changed)
    record_registry_change(conn, ctx.registry)
    return _append(conn, fields)


def _utc(moment: datetime) -> datetime:
    """Naive UTC (a naive `moment` is taken as UTC already)."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _append(conn: duckdb.DuckDBPyConnection, fields: dict[str, Any]) -> DecisionRecord:
    """Insert the next record in one transaction; retry when another connection of this process won."""
    last_error: Exception | None = None
    for _ in range(_RETRIES):
        conn.execute("BEGIN TRANSACTION")
        try:
            last = conn.execute("SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1").fetchone()
            record = dict(fields, seq=(last[0] + 1) if last else 1, prev_hash=last[1] if last else "")
            record["hash"] = record_hash(record)
            conn.execute(
                "INSERT INTO decisions (seq, deployment, week, decision, rationale, decided_by, attendees, "
                "actions, next_review, decided_at, snapshot, prev_hash, hash) "
                "VALUES ($seq, $deployment, $week, $decision, $rationale, $decided_by, $attendees, $actions, "
                "$next_review, $decided_at, $snapshot, $prev_hash, $hash)",
                record,
            )
            conn.execute("COMMIT")
        except (duckdb.TransactionException, duckdb.ConstraintException) as exc:
            _rollback(conn)
            last_error = exc
            continue
        except Exception:
            _rollback(conn)
            raise
        return DecisionRecord(**record)
    raise PostlaunchError(f"could not append to the decision log after {_RETRIES} attempts: {last_error}")


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already ended the transaction
        conn.execute("ROLLBACK")
