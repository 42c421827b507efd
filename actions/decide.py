"""Record the owner's decision for one deployment-week: validate it, take the review as it stands (the
snapshot), note the registry it was taken under, and append the record to the hash-chained log
(`postlaunch.decisions`). One decision stands per deployment-week; another supersedes it only when asked.
`postlaunch decide` and the dashboard's form both call `record_decision`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from metrics.api import build_review
from metrics.model import Review
from postlaunch import rollup
from postlaunch.config import Context
from postlaunch.decisions import (
    ACTIONS,
    DecisionRecord,
    append,
    default_next_review,
    standing_decision,
    to_utc,
    week_end,
)
from postlaunch.errors import PostlaunchError, UsageError
from postlaunch.registry_log import record_registry_change

# What makes two decisions the same decision (a repeated submission, not a new one).
_SAME = ("decision", "rationale", "decided_by", "attendees", "actions", "next_review")


class DecisionExists(UsageError):
    """The deployment-week has a standing decision and superseding it was not asked for, or the new one
    says exactly what the standing one says (`same`: a repeated submission, nothing to add, even with
    `supersede`)."""

    def __init__(self, standing: DecisionRecord, same: bool) -> None:
        self.standing, self.same = standing, same
        s = standing
        text = (
            f"{s.deployment} {s.week} already has decision #{s.seq}: {s.decision.upper()} by {s.decided_by} "
            f"on {s.decided_at:%Y-%m-%d %H:%M} UTC"
        )
        if same:
            super().__init__(f"{text}, saying exactly this; nothing was added")
        else:
            super().__init__(
                f"{text}. One decision per deployment-week: to replace it, decide again with --supersede; "
                f"the new record names #{s.seq} as the one it supersedes"
            )


def check_inputs(
    ctx: Context,
    deployment: str,
    week: str,
    decision: str,
    rationale: str,
    decided_by: str,
    next_review: date | None,
) -> None:
    """Refuse (UsageError) what a meeting would regret, naming what was expected."""
    ctx.registry.get(deployment)
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
    snapshot: Review | None = None,
    now: datetime | None = None,
    supersede: bool = False,
) -> DecisionRecord:
    """Validate a decision and append it to the log with the review snapshot; returns the stored record.

    Refuses (UsageError) an unknown deployment, a malformed week or one without usage data, an unknown
    action, an empty rationale or decider, a next review not after the week's end. One decision per
    deployment-week: when one stands, DecisionExists unless `supersede`, and then the new record names
    the one it supersedes. `snapshot` defaults to the review of the deployment-week as it stands;
    `next_review` to the deployment's review day a week after the meeting. `conn` must be writable.
    """
    week = week.strip()
    check_inputs(ctx, deployment, week, decision, rationale, decided_by, next_review)
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
    }
    _check_standing(conn, deployment, week, fields, supersede)  # before the review is built: refuse early
    if snapshot is None:
        rollup.ensure_current(conn, ctx.settings.timezone)
        try:
            snapshot = build_review(conn, ctx, deployment, week)
        except PostlaunchError as exc:  # a week without data cannot be decided on
            raise UsageError(str(exc)) from None
    elif snapshot.deployment != deployment or snapshot.week != week:
        raise PostlaunchError(
            f"the review snapshot is for {snapshot.deployment} {snapshot.week}, not for {deployment} {week}"
        )
    fields["decided_at"] = to_utc(now or datetime.now(UTC))
    fields["snapshot"] = snapshot.to_json(indent=None)
    # the registry the decision was taken under is on record too (a policy change record when it changed)
    record_registry_change(conn, ctx.registry)
    # checked again inside the appending transaction, so two submissions at once cannot both stand
    return append(conn, fields, guard=lambda c: _check_standing(c, deployment, week, fields, supersede))


def _check_standing(
    conn: duckdb.DuckDBPyConnection,
    deployment: str,
    week: str,
    fields: dict[str, Any],
    supersede: bool,
) -> dict[str, Any]:
    """The fields a new decision adds given the standing one (`supersedes`), or DecisionExists."""
    standing = standing_decision(conn, deployment, week)
    if standing is None:
        return {}
    same = all(getattr(standing, k) == fields[k] for k in _SAME)
    if same or not supersede:  # the same decision again (a double click, a rerun script) adds nothing
        raise DecisionExists(standing, same)
    return {"supersedes": standing.seq}
