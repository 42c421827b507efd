"""`postlaunch countersign`: list the decisions waiting for a second signature, countersign one (it is
then appended to the hash-chained log with both signatures) or withdraw it. `--by` and the
operating-system user are recorded as the countersigner, as `decide` records the decider.
"""

from __future__ import annotations

import argparse

from actions.countersign import countersign, withdraw
from postlaunch import proposals
from postlaunch.access import cli_user
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.errors import UsageError


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "countersign",
        parents=parents,
        description="A high-tier expand, or a return from pause, is recorded only when a second person "
        "with governance or owner rights countersigns it. Without ID: list the open proposals.",
    )
    parser.add_argument("id", nargs="?", type=int, metavar="ID", help="the decision proposal to countersign")
    parser.add_argument("--by", metavar="NAME", help="who countersigns (or withdraws); not the proposer")
    parser.add_argument(
        "--withdraw",
        action="store_true",
        help="close the proposal without recording it (proposer or governance)",
    )
    parser.set_defaults(run=run)


def _list(conn: object, deployment: str | None = None) -> int:
    open_ = proposals.listed(conn)  # type: ignore[arg-type]
    if not open_:
        print("no decision waits for a countersignature")
        return 0
    for p in open_:
        print(
            f"{p.id}: {p.deployment} {p.week} {p.decision.upper()} proposed by {p.proposer} "
            f"at {p.decided_at:%Y-%m-%d %H:%M} UTC — {p.reason}\n    rationale: {p.rationale}"
        )
    print("countersign with: postlaunch countersign ID --by NAME")
    return 0


def run(args: argparse.Namespace) -> int:
    ctx = load_context(args.config, args.db)
    if args.id is None:
        if args.withdraw or args.by:
            raise UsageError("name the proposal: postlaunch countersign ID --by NAME [--withdraw]")
        with connect(ctx.db, read_only=True, timeout=ctx.settings.lock_timeout_seconds) as conn:
            return _list(conn)
    if not args.by or not args.by.strip():
        raise UsageError("--by is empty: name who countersigns (a second person, not the proposer)")
    identity = cli_user(args.by)
    with connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        if args.withdraw:
            closed = withdraw(conn, ctx, args.id, identity)
            print(
                f"withdrew decision proposal {closed.id} ({closed.deployment} {closed.week} {closed.decision})"
            )
            return 0
        record = countersign(conn, ctx, args.id, identity)
    print(
        f"recorded decision {record.seq}: {record.deployment} {record.week} {record.decision.upper()} "
        f"by {record.decided_by}, countersigned by {record.countersigned_by} (OS user "
        f"{record.countersigned_os_user}); hash {record.hash[:12]}…"
    )
    return 0
