"""`postlaunch review`: the weekly review of one deployment as JSON (DESIGN §9), Markdown minutes or
the HTML review pack. It reads only; the HTML pack is imported from `dashboard.pack` on demand, so the
other formats never load streamlit or plotly.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import duckdb

from metrics.render_md import render_markdown
from postlaunch.config import Context, load_context
from postlaunch.db import connect
from postlaunch.decisions import parse_week
from postlaunch.errors import PostlaunchError, UsageError

FORMATS = ("json", "md", "html")


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "review",
        help="the weekly review of one deployment (JSON, Markdown minutes or HTML pack)",
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


def check_deployment(ctx: Context, deployment: str) -> None:
    """Refuse an id the registry does not know, naming the ones it does (a usage error)."""
    if deployment not in ctx.registry.deployments:
        known = ", ".join(ctx.registry.ids) or "none: the registry is empty"
        raise UsageError(f"unknown deployment {deployment!r}; known: {known}")


def to_json(review: dict[str, Any]) -> str:
    return json.dumps(review, indent=2, ensure_ascii=False, default=str)


def _html(conn: duckdb.DuckDBPyConnection, ctx: Context, review: dict[str, Any]) -> str:
    """The self-contained review pack: the same code path as the dashboard's download. plotly is
    imported only here, for this format."""
    from dashboard.pack import build_pack

    return str(build_pack(conn, ctx, review))


def render(args: argparse.Namespace) -> str:
    """The review of `args.deployment` in `args.format`, as text."""
    if args.week is not None:
        parse_week(args.week)
    ctx = load_context(args.config, args.db)
    check_deployment(ctx, args.deployment)
    from metrics.api import build_review, latest_week

    with connect(ctx.db, read_only=True, timeout=ctx.settings.lock_timeout_seconds) as conn:
        week = args.week or latest_week(conn, ctx, args.deployment)
        if week is None:
            raise PostlaunchError(
                f"no usage data for {args.deployment} yet: load it with `postlaunch ingest usage FILE`"
            )
        review = build_review(conn, ctx, args.deployment, week)
        if args.format == "html":
            return _html(conn, ctx, review)
    if args.format == "md":
        return render_markdown(review)
    return to_json(review) + "\n"


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
