"""`postlaunch decide`: record the owner's decision for one deployment-week in the hash-chained log,
with the review as it stood, `--by` and the operating-system user. Refuses what a meeting would regret
(unknown deployment, a week without data, an empty rationale, a second decision for the week without
--supersede); the same `submit_decision` serves the dashboard's form. A high-tier expand or return from pause is kept as a proposal until someone else
countersigns it (`postlaunch countersign`).
"""

from __future__ import annotations

import argparse
import json
from datetime import date

from actions.decide import DecisionExists, submit_decision
from postlaunch.access import cli_user
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.decisions import ACTIONS, DecisionRecord, parse_week
from postlaunch.errors import PostlaunchError, UsageError


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "decide",
        parents=parents,
        description="Append the owner's decision for one deployment and ISO week to the hash-chained "
        "decision log, with the weekly review as it stands now.",
    )
    parser.add_argument("--deployment", required=True, metavar="ID", help="deployment id from the registry")
    parser.add_argument(
        "--week", required=True, metavar="YYYY-Www", help="the ISO week reviewed, e.g. 2026-W47"
    )
    parser.add_argument("--decision", required=True, choices=ACTIONS, help="what was decided")
    parser.add_argument("--rationale", required=True, metavar="TEXT", help="why, in plain words")
    parser.add_argument(
        "--by",
        required=True,
        metavar="NAME",
        help="who decided (recorded with the operating-system user running the command)",
    )
    parser.add_argument("--attendees", nargs="+", default=[], metavar="NAME", help="who took part")
    parser.add_argument("--actions", metavar="TEXT", help="agreed actions, owners and dates")
    parser.add_argument(
        "--next-review",
        metavar="YYYY-MM-DD",
        help="date of the next review (default: the deployment's review day a week after this meeting)",
    )
    parser.add_argument(
        "--supersede",
        action="store_true",
        help="replace the decision that stands for this deployment-week (the new record names it); "
        "without it a second decision for the same week is refused",
    )
    parser.add_argument(
        "--return-criteria-checked",
        action="store_true",
        help="after a pause or stop: confirm that the runbook's return criteria were checked (needed for "
        "continue or expand)",
    )
    parser.set_defaults(run=run)


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--next-review {text!r} is not a date: expected YYYY-MM-DD, e.g. 2026-11-30"
        ) from None


def run(args: argparse.Namespace) -> int:
    next_review = _date(args.next_review)
    parse_week(args.week)  # refuse a malformed week before touching the database
    ctx = load_context(args.config, args.db)
    ctx.registry.get(args.deployment)
    if not ctx.db.exists():
        raise PostlaunchError(
            f"no database at {ctx.db}: load data first with `postlaunch ingest KIND FILE...`"
        )
    try:
        with connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
            outcome = submit_decision(
                conn,
                ctx,
                identity=cli_user(args.by),
                deployment=args.deployment,
                week=args.week,
                decision=args.decision,
                rationale=args.rationale,
                attendees=args.attendees,
                actions=args.actions,
                next_review=next_review,
                supersede=args.supersede,
                return_criteria_checked=args.return_criteria_checked,
            )
    except DecisionExists as exc:
        if not exc.same:
            raise
        print(str(exc))  # the same decision again (a script run twice): it stands already, nothing to add
        return 0
    if isinstance(outcome, DecisionRecord):
        replaces = f" (supersedes decision {outcome.supersedes})" if outcome.supersedes else ""
        print(
            f"recorded decision {outcome.seq}{replaces}: {outcome.deployment} {outcome.week} "
            f"{outcome.decision.upper()} by {outcome.decided_by} (OS user {outcome.decided_os_user}); "
            f"next review {outcome.next_review}; hash {outcome.hash[:12]}…"
        )
        for line in _runbook_lines(outcome):
            print(line)
        if ctx.settings.status_file is not None:
            print(f"status file {ctx.settings.status_file} rewritten: postlaunch.{outcome.deployment}.mode")
    else:
        print(
            f"NOT YET RECORDED — {outcome.reason}.\n"
            f"kept as decision proposal {outcome.id}: {outcome.deployment} {outcome.week} "
            f"{outcome.decision.upper()} by {outcome.proposer}.\n"
            f"a second person countersigns it on the dashboard's Weekly review, or with:\n"
            f"  postlaunch countersign {outcome.id} --by NAME"
        )
    return 0


def _runbook_lines(record: DecisionRecord) -> list[str]:
    """After a pause or stop: the fallback, the safe state and the notify checklist; after a return:
    the criteria recorded as checked."""
    if record.runbook:
        book = json.loads(record.runbook)
        lines = [
            f"fallback: {book.get('fallback') or 'none in the runbook'}",
            f"safe state: {book.get('safe_state') or 'none in the runbook'}",
        ]
        notify = book.get("notify") or []
        if notify:
            lines.append("tell each of these, then tick them with `postlaunch notified --deployment "
                         f"{record.deployment} --who NAME --by NAME`:")  # fmt: skip
            lines += [f"  [ ] {name}" for name in notify]
        else:
            lines.append("the runbook lists nobody to notify")
        return lines
    if record.return_criteria:
        checked = json.loads(record.return_criteria)
        criteria = checked.get("criteria") or []
        return [f"return criteria checked by {checked.get('checked_by')}:"] + [f"  [x] {c}" for c in criteria]
    return []
