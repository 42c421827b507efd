"""`postlaunch prune --before DATE [--dry-run]`: delete request text and access records older than DATE,
except what `retention_days` protects for high-tier deployments, which it refuses and names. Metrics,
counts and the decision log stay.
"""

from __future__ import annotations

import argparse
from datetime import date

from actions.prune import prune
from postlaunch.config import load_context
from postlaunch.errors import PostlaunchError, UsageError


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "prune",
        parents=parents,
        description="Delete the request text of usage events and the access records older than --before "
        "(midnight in the configured timezone). For a high-tier deployment nothing younger than "
        "retention_days (default 183) goes; prune says what it kept and why.",
    )
    parser.add_argument(
        "--before", required=True, metavar="YYYY-MM-DD", help="delete what is older than this day"
    )
    parser.add_argument("--dry-run", action="store_true", help="count what would go; delete nothing")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        before = date.fromisoformat(args.before.strip())
    except ValueError:
        raise UsageError(
            f"--before {args.before!r} is not a date: expected YYYY-MM-DD, e.g. 2026-06-01"
        ) from None
    ctx = load_context(args.config, args.db)
    if not ctx.db.exists():
        raise PostlaunchError(f"no database at {ctx.db}: nothing to prune")
    result = prune(ctx, before, dry_run=args.dry_run)
    for line in result.lines(args.dry_run):
        print(line)
    return 0
