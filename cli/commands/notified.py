"""`postlaunch notified`: tick a person or body of the runbook's notify list as told of a deployment's
pause or stop, with who ticked it and when, into the decision log's follow-ups (DESIGN §14). Without
--who it lists the checklist of the latest pause or stop and who is still to be told.
"""

from __future__ import annotations

import argparse

from actions.pause import halt_runbook, latest_halt, record_notification
from postlaunch import followups
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.errors import UsageError


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "notified",
        parents=parents,
        description="Tick WHO (an entry of the runbook's notify list) as told of the deployment's latest pause "
        "or stop (or of --decision SEQ). Without --who, print the checklist.",
    )
    parser.add_argument("--deployment", required=True, metavar="ID", help="deployment id from the registry")
    parser.add_argument("--who", metavar="NAME", help="who was told, as the runbook's notify list names them")
    parser.add_argument("--by", metavar="NAME", help="who told them (required with --who)")
    parser.add_argument(
        "--decision", type=int, metavar="SEQ", help="the pause or stop decision (default: the latest)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ctx = load_context(args.config, args.db)
    ctx.registry.get(args.deployment)
    if args.who is not None and not (args.by or "").strip():
        raise UsageError("--by is empty: name who told them")
    with connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        seq = args.decision
        if seq is None:
            halt = latest_halt(conn, ctx, args.deployment)
            if halt is None or halt.decision_seq is None:
                raise UsageError(
                    f"{args.deployment} is not paused or stopped by a decision: nobody is to be told"
                )
            seq = halt.decision_seq
        if args.who is not None:
            tick = record_notification(
                conn, ctx, deployment=args.deployment, decision_seq=seq, notified=args.who, by=args.by
            )
            print(
                f"ticked {tick.item} as told of decision {seq}, by {tick.recorded_by} at {tick.recorded_at:%Y-%m-%d %H:%M}Z"
            )
        book = halt_runbook(conn, ctx, args.deployment, seq)
        done = {f.item: f for f in followups.of_decision(conn, seq)}
    print(f"decision {seq} ({book.decision}): fallback: {book.fallback or 'none in the runbook'}; "
          f"safe state: {book.safe_state or 'none in the runbook'}")  # fmt: skip
    for name in book.notify:
        told = done.get(name)
        print(
            f"[x] {name} — told, ticked by {told.recorded_by} at {told.recorded_at:%Y-%m-%d %H:%M}Z"
            if told
            else f"[ ] {name}"
        )
    if not book.notify:
        print("the runbook lists nobody to notify ([deployments.ID.runbook] notify)")
    return 0
