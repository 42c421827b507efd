"""`postlaunch review`: the weekly review of one deployment as JSON (DESIGN §9), Markdown minutes or
the HTML review pack (both from `report`, as the dashboard's download). It reads only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from metrics.api import build_review
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.decisions import parse_week, standing_decision
from postlaunch.errors import PostlaunchError
from report.minutes import render_markdown
from report.pack import build_pack

FORMATS = ("json", "md", "html")


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "review",
        parents=parents,
        description="Metrics, alerts, the recommendation, open incidents, out-of-scope examples and "
        "changes of one deployment for one ISO week.",
    )
    parser.add_argument("--deployment", required=True, metavar="ID", help="deployment id from the registry")
    parser.add_argument(
        "--week", metavar="YYYY-Www", help="ISO week (default: the latest week with usage data for it)"
    )
    parser.add_argument("--format", choices=FORMATS, default="json", help="output format (default json)")
    parser.add_argument("--out", metavar="FILE", help="write to FILE and print its path (default: stdout)")
    parser.set_defaults(run=run)


def render(args: argparse.Namespace) -> str:
    """The review of `args.deployment` in `args.format`, as text."""
    if args.week is not None:
        parse_week(args.week)
    ctx = load_context(args.config, args.db)
    ctx.registry.get(args.deployment)
    with connect(ctx.db, read_only=True, timeout=ctx.settings.lock_timeout_seconds) as conn:
        review = build_review(conn, ctx, args.deployment, args.week)
        if args.format == "html":
            return build_pack(conn, ctx, review)
        if args.format == "md":
            return render_markdown(review, standing_decision(conn, review.deployment, review.week))
    return review.to_json() + "\n"


def run(args: argparse.Namespace) -> int:
    text = render(args)
    if args.out:
        out = Path(args.out)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise PostlaunchError(f"cannot write {out}: {exc}") from exc
        print(out)
    else:
        print(text, end="")
    return 0
