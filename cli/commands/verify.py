"""`postlaunch verify`: recompute every decision record's hash and the chain between them; exit 0 when
the log is intact, 1 naming the first record that was edited, deleted or moved; the same for the
follow-ups of pauses (who was told). It also says who signed the records and how: signed in on the
dashboard, or from the command line (`--by` as typed, with the operating-system user). Never writes.
"""

from __future__ import annotations

import argparse

from postlaunch import followups
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.decisions import signature_lines, stored_records, verify_records


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "verify",
        parents=parents,
        description="Recompute the sha256 of every decision record and check that each names the hash of "
        "the one before it. Exit 0 when intact, 1 at the first edited, missing or reordered record.",
    )
    parser.add_argument(
        "--signatures", action="store_true", help="list who signed each record (and who countersigned)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ctx = load_context(args.config, args.db)
    with connect(ctx.db, read_only=True, timeout=ctx.settings.lock_timeout_seconds) as conn:
        records = stored_records(conn)
        ticks = followups.verify(conn)
    status = verify_records(records)
    print(status.summary())
    for line in signature_lines(records, each=args.signatures):
        print(line)
    if ticks.records or not ticks.ok:
        print(ticks.summary())
    return 0 if status.ok and ticks.ok else 1
