"""Record the owner's decision for one deployment-week: check that the person acting may decide it
(`postlaunch.access.authorize`), validate it, take the review as it stands (the snapshot), note the
registry it was taken under, and append the record, with who decided, to the hash-chained log
(`postlaunch.decisions`). One decision stands per deployment-week; another supersedes it only when
asked. `postlaunch decide` and the dashboard's form both call `submit_decision`; a decision that needs a
second signature becomes a proposal (`actions.countersign`).

A pause or stop needs the right to pause (`postlaunch.rights.may_pause`) and keeps the runbook it was
taken under; a continue or expand after a pause records that the return criteria were checked; with
setting `status_file` every decision rewrites the flagd file the deployed systems read (DESIGN §14).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from metrics.api import build_review
from metrics.model import Review
from postlaunch import accesslog, opstatus, proposals, rollup
from postlaunch.access import Identity, PermissionDenied, authorize
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
from postlaunch.proposals import Proposal
from postlaunch.registry import Deployment
from postlaunch.registry_log import record_registry_change
from postlaunch.rights import may_pause

log = logging.getLogger("postlaunch.decide")
# Operating mode of a deployment by its latest decision (DESIGN §14); a return from these needs a
# second signature on a high-tier deployment.
_HELD = {"pause": "paused", "stop": "stopped"}
HALTING = ("pause", "stop")
RETURNING = ("continue", "expand")


# What makes two decisions the same decision (a repeated submission, not a new one).
_SAME = ("decision", "rationale", "decided_by", "attendees", "actions", "next_review")


class CountersignRequired(UsageError):
    """A decision that only a countersigned proposal may record (see `submit_decision`)."""


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
    """Refuse (UsageError) what a meeting would regret, naming what was expected (who decided is the
    identity acting: from the CLI, `--by`)."""
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


def identity_fields(identity: Identity, prefix: str = "decided") -> dict[str, Any]:
    """The record's who-fields for `identity`: name, e-mail, how they acted, and the CLI's OS user."""
    name = "decided_by" if prefix == "decided" else "countersigned_by"
    return {
        name: identity.name.strip(),
        f"{name}_email": identity.email,
        f"{prefix}_via": identity.source,
        f"{prefix}_os_user": identity.os_user if identity.source == "cli" else None,
    }


def current_mode(conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str) -> str:
    """`paused` or `stopped` when the deployment's latest decision (else its registry status) holds it
    there; otherwise `running`."""
    cur = conn.cursor()
    try:
        row = cur.execute(
            "SELECT decision FROM decisions WHERE deployment = ? ORDER BY seq DESC LIMIT 1", [deployment]
        ).fetchone()
    finally:
        cur.close()
    if row is not None:
        return _HELD.get(str(row[0]), "running")
    return "paused" if ctx.registry.get(deployment).status == "paused" else "running"


def countersign_reason(
    conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str, decision: str
) -> str | None:
    """Why `decision` needs a second person's signature (DESIGN §17), or None: on a high-tier deployment,
    an expand, or any decision that returns it from pause (or stop)."""
    if ctx.registry.get(deployment).risk_tier != "high":
        return None
    if decision == "expand":
        return f"{deployment} is high tier: an expand needs a second signature (governance or an owner)"
    mode = current_mode(conn, ctx, deployment)
    if mode != "running" and decision not in _HELD:
        return (
            f"{deployment} is high tier and {mode}: returning it to service ({decision}) needs a second "
            "signature (governance or an owner)"
        )
    return None


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
    identity: Identity,
    deployment: str,
    week: str,
    decision: str,
    rationale: str,
    attendees: Iterable[str] = (),
    actions: str | None = None,
    next_review: date | None = None,
    snapshot: Review | None = None,
    now: datetime | None = None,
    supersede: bool = False,
    return_criteria_checked: bool = False,
) -> DecisionRecord:
    """Validate a decision and append it to the log with the review snapshot and who decided; returns
    the stored record.

    Refuses (PermissionDenied) an identity without owner rights on the deployment or the governance
    role; (UsageError) an unknown deployment, a malformed week or one without usage data, an unknown
    action, an empty rationale or decider, a next review not after the week's end; (DecisionExists) a
    second decision for the deployment-week unless `supersede`, and then the new record names the one
    it supersedes; (CountersignRequired) a decision that needs a second signature — `submit_decision`
    keeps that as a proposal instead; a pause or stop by someone the runbook's may_pause does not name,
    and a continue or expand after a pause whose return criteria were not confirmed
    (`return_criteria_checked`). With setting `status_file`, the flagd file is rewritten afterwards. `snapshot` defaults to the review of the deployment-week as it stands; `next_review` to the
    deployment's review day a week after the meeting. `conn` must be writable.
    """
    outcome = submit_decision(
        conn, ctx, identity=identity, deployment=deployment, week=week, decision=decision,
        rationale=rationale, attendees=attendees, actions=actions, next_review=next_review,
        snapshot=snapshot, now=now, propose=False, supersede=supersede,
        return_criteria_checked=return_criteria_checked,
    )  # fmt: skip
    assert isinstance(outcome, DecisionRecord)
    return outcome


def submit_decision(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    *,
    identity: Identity,
    deployment: str,
    week: str,
    decision: str,
    rationale: str,
    attendees: Iterable[str] = (),
    actions: str | None = None,
    next_review: date | None = None,
    snapshot: Review | None = None,
    now: datetime | None = None,
    propose: bool = True,
    supersede: bool = False,
    return_criteria_checked: bool = False,
) -> DecisionRecord | Proposal:
    """Record the decision (see `record_decision`), or, when it needs a second signature, keep it as an
    open proposal that another person with governance or owner rights countersigns
    (`actions.countersign.countersign`); returns the record or the proposal. With `propose` false, a
    decision that needs a second signature is refused (CountersignRequired) instead."""
    week = week.strip()
    ctx.registry.get(deployment)
    authorize(identity, "decide", deployment)  # before anything else: a refusal says nothing more
    check_inputs(ctx, deployment, week, decision, rationale, identity.name, next_review)
    dep = ctx.registry.get(deployment)
    if decision in HALTING and not may_pause(dep, identity):
        raise PermissionDenied(
            f"{identity.label} may not {decision} {deployment}: its runbook's may_pause names "
            f"{', '.join(dep.runbook.may_pause)}"
        )
    returned = return_check(dep, decision, opstatus.status_of(conn, ctx.registry, deployment),
                            return_criteria_checked, identity.label)  # fmt: skip
    if next_review is None:
        next_review = default_next_review(week, dep.review_day)
    names = [a.strip() for a in attendees if a and a.strip()]
    fields: dict[str, Any] = {
        "deployment": deployment,
        "week": week,
        "decision": decision,
        "rationale": rationale.strip(),
        **identity_fields(identity),
        "attendees": json.dumps(names, ensure_ascii=False),
        "actions": actions.strip() if actions and actions.strip() else None,
        "next_review": next_review,
    }
    check_standing(conn, deployment, week, fields, supersede)  # before the review is built: refuse early
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
    if decision in HALTING:
        fields["runbook"] = runbook_json(dep)
    if returned is not None:
        fields["return_criteria"] = returned
    reason = countersign_reason(conn, ctx, deployment, decision)
    if reason is None:
        return _append(conn, ctx, identity, fields, supersede)
    if not propose:
        raise CountersignRequired(reason)
    row = conn.execute("SELECT coalesce(max(seq), 0) FROM decisions").fetchone()
    proposal = proposals.create(conn, fields, reason, int(row[0]) if row else 0)
    log_access(
        ctx, identity, deployment, f"proposed {decision} for {week} (proposal {proposal.id}): {reason}"
    )
    return proposal


def _append(
    conn: duckdb.DuckDBPyConnection, ctx: Context, identity: Identity, fields: dict[str, Any], supersede: bool
) -> DecisionRecord:
    # the registry the decision was taken under is on record too (a policy change record when it changed)
    record_registry_change(conn, ctx.registry)
    # the standing decision is checked again inside the appending transaction, so two submissions at
    # once cannot both stand
    deployment, week = fields["deployment"], fields["week"]
    record = append(conn, fields, guard=lambda c: check_standing(c, deployment, week, fields, supersede))
    log_access(ctx, identity, record.deployment, f"{record.decision} for {record.week} (record {record.seq})")
    rewrite_status_file(conn, ctx, record)
    return record


def rewrite_status_file(conn: duckdb.DuckDBPyConnection, ctx: Context, record: DecisionRecord) -> None:
    """With setting `status_file`, rewrite the flagd file the deployed systems read their mode from."""
    if ctx.settings.status_file is None:
        return
    try:
        opstatus.write_status_file(conn, ctx.registry, ctx.settings.status_file)
    except OSError as exc:
        raise PostlaunchError(
            f"decision {record.seq} is recorded, but the status file {ctx.settings.status_file} could not be "
            f"rewritten ({exc}): the deployed systems still read the old mode; fix it and run "
            f"`postlaunch status --format flagd --out {ctx.settings.status_file}`"
        ) from exc


def log_access(ctx: Context, identity: Identity, deployment: str, detail: str) -> None:
    """The access record of a decision. The decision itself is already in the chained log; a busy access
    log is reported, not turned into a failed decision."""
    try:
        accesslog.record(ctx.settings, [accesslog.event(identity, "decide", deployment, detail)])
    except PostlaunchError as exc:
        log.warning(
            "the access log did not take the record of %s's decision on %s: %s",
            identity.label,
            deployment,
            exc,
        )


def check_standing(
    conn: duckdb.DuckDBPyConnection,
    deployment: str,
    week: str,
    fields: dict[str, Any],
    supersede: bool,
) -> dict[str, Any]:
    """The fields a new decision adds given the week's standing one (`supersedes`), or DecisionExists."""
    standing = standing_decision(conn, deployment, week)
    if standing is None:
        return {}
    same = all(getattr(standing, k) == fields[k] for k in _SAME)
    if same or not supersede:  # the same decision again (a double click, a rerun script) adds nothing
        raise DecisionExists(standing, same)
    return {"supersedes": standing.seq}
