"""Record the owner's decision for one deployment-week: validate it, take the review as it stands (the
snapshot), note the registry it was taken under, and append the record to the hash-chained log
(`postlaunch.decisions`). `postlaunch decide` and the dashboard's form both call `record_decision`.

A pause or stop needs the right to pause (`postlaunch.rights.may_pause`) and keeps the runbook it was
taken under; a continue or expand after a pause records that the return criteria were checked; with
setting `status_file` every decision rewrites the flagd file the deployed systems read (DESIGN §14).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from metrics.api import build_review
from metrics.model import Review
from postlaunch import opstatus, rollup
from postlaunch.config import Context
from postlaunch.decisions import ACTIONS, DecisionRecord, append, default_next_review, to_utc, week_end
from postlaunch.errors import PostlaunchError, UsageError
from postlaunch.registry import Deployment
from postlaunch.registry_log import record_registry_change
from postlaunch.rights import may_pause

HALTING = ("pause", "stop")
RETURNING = ("continue", "expand")


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
    dep = ctx.registry.get(deployment)
    if decision in HALTING and not may_pause(dep, decided_by):
        raise UsageError(
            f"{decided_by.strip()} may not {decision} {deployment}: its runbook's may_pause names "
            f"{', '.join(dep.runbook.may_pause)}"
        )


def runbook_json(dep: Deployment) -> str:
    """What a pause or stop was taken under: the runbook's fallback, safe state, notify list, fail mode."""
    book = dep.runbook
    return json.dumps(
        {"fallback": book.fallback, "safe_state": book.safe_state, "notify": list(book.notify),
         "fail_mode": dep.fail_mode},
        ensure_ascii=False, sort_keys=True,
    )  # fmt: skip


def return_check(
    dep: Deployment, decision: str, before: opstatus.OperatingStatus, checked: bool, decided_by: str
) -> str | None:
    """For a continue or expand while paused or stopped: the return criteria as checked (JSON), refusing
    (UsageError) when they were not confirmed. None for any other decision."""
    if decision not in RETURNING or before.mode not in opstatus.HALTED:
        return None
    criteria = list(dep.runbook.return_criteria)
    since = (
        f"decision {before.decision_seq} ({before.decision} for {before.week})"
        if before.decision_seq
        else "the registry"
    )
    if criteria and not checked:
        listed = "; ".join(f"{i}) {c}" for i, c in enumerate(criteria, start=1))
        raise UsageError(
            f"{dep.id} is {before.mode} since {since}: a {decision} returns it to normal only once the runbook's "
            f"return criteria were checked — {listed} (confirm with --return-criteria-checked, or the form's box)"
        )
    return json.dumps(
        {"after": before.decision_seq, "mode": before.mode, "criteria": criteria, "checked_by": decided_by.strip()},
        ensure_ascii=False, sort_keys=True,
    )  # fmt: skip


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
    return_criteria_checked: bool = False,
) -> DecisionRecord:
    """Validate a decision and append it to the log with the review snapshot; returns the stored record.

    Refuses (UsageError) an unknown deployment, a malformed week or one without usage data, an unknown
    action, an empty rationale or decider, a next review not after the week's end, a pause or stop by
    someone the runbook's may_pause does not name, and a continue or expand after a pause whose return
    criteria were not confirmed (`return_criteria_checked`). `snapshot` defaults to the review of the
    deployment-week as it stands; `next_review` to the deployment's review day a week after the meeting.
    `conn` must be writable. With setting `status_file`, the flagd file is rewritten afterwards.
    """
    week = week.strip()
    check_inputs(ctx, deployment, week, decision, rationale, decided_by, next_review)
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
    dep = ctx.registry.get(deployment)
    returned = return_check(dep, decision, opstatus.status_of(conn, ctx.registry, deployment),
                            return_criteria_checked, decided_by)  # fmt: skip
    if next_review is None:
        next_review = default_next_review(week, dep.review_day)
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
        "decided_at": to_utc(now or datetime.now(UTC)),
        "snapshot": snapshot.to_json(indent=None),
    }
    if decision in HALTING:
        fields["runbook"] = runbook_json(dep)
    if returned is not None:
        fields["return_criteria"] = returned
    # the registry the decision was taken under is on record too (a policy change record when it changed)
    record_registry_change(conn, ctx.registry)
    record = append(conn, fields)
    if ctx.settings.status_file is not None:  # the deployed systems read their mode from this file
        try:
            opstatus.write_status_file(conn, ctx.registry, ctx.settings.status_file)
        except OSError as exc:
            raise PostlaunchError(
                f"decision {record.seq} is recorded, but the status file {ctx.settings.status_file} could not be "
                f"rewritten ({exc}): the deployed systems still read the old mode; fix it and run "
                f"`postlaunch status --format flagd --out {ctx.settings.status_file}`"
            ) from exc
    return record
