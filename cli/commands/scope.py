"""`postlaunch scope sample`: the weekly audit sample (DESIGN §12) as CSV, to fill in a spreadsheet and
load back with `postlaunch ingest labels FILE`. The draw is ingest.scope.audit's; this module parses
arguments, writes the CSV (a file or stdout) and says on stderr what was drawn.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from ingest.scope.audit import CSV_COLUMNS, DEFAULT_N, Draw, draw_sample
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.decisions import parse_week
from postlaunch.errors import PostlaunchError, UsageError


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "scope",
        parents=parents,
        description="Check placement with people: draw the week's audit sample of requests to label.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sample = actions.add_parser(
        "sample",
        parents=parents,
        description="A uniform random draw of a week's requests that have text and no use_case label, as CSV "
        "(event_id, deployment, week, ts, request_text, inferred_use_case, inferred_score, and blank use_case, "
        "labelled_by, note to fill in). The draw is recorded: the same call returns the same draw unless --new. "
        "Fill in use_case (an approved use case, another name, or out_of_scope) and labelled_by, then load it "
        "with `postlaunch ingest labels FILE`.",
    )
    sample.add_argument("--deployment", required=True, metavar="ID", help="deployment id of the registry")
    sample.add_argument("--week", required=True, metavar="YYYY-Www", help="ISO week, e.g. 2026-W47")
    sample.add_argument("--n", type=int, default=DEFAULT_N, help=f"requests to draw (default {DEFAULT_N})")
    sample.add_argument(
        "--new", action="store_true", help="draw again: more requests, none of those drawn before"
    )
    sample.add_argument("--out", type=Path, metavar="FILE", help="write the CSV here (default: stdout)")
    sample.add_argument("--by", metavar="NAME", help="who draws it (default: the operating-system user)")
    sample.set_defaults(run=run)


def write_csv(draw: Draw) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(draw.csv_rows())
    return buffer.getvalue()


def describe(draw: Draw, requested: int) -> str:
    when = f"{draw.drawn_at:%Y-%m-%d %H:%M} UTC by {draw.drawn_by}"
    if draw.new:
        line = (
            f"drew {draw.drawn} of {draw.population:,} requests with text and no label of {draw.deployment} in "
            f"{draw.week} ({when}; seed {draw.seed})"
        )
    else:
        draws = f" in {draw.draws} draws, the first" if draw.draws > 1 else ""
        line = (
            f"the recorded sample of {draw.deployment} in {draw.week}: {draw.drawn} requests{draws} ({when}); "
            f"{draw.labelled} labelled so far; --new draws more"
        )
        if requested != draw.requested and draw.draws == 1:
            line += (
                f" (it was drawn with --n {draw.requested}; --new --n {requested} adds a draw of {requested})"
            )
    return line


def run(args: argparse.Namespace) -> int:
    ctx = load_context(args.config, args.db)
    if args.n < 1:
        raise UsageError(f"--n must be at least 1, got {args.n}")
    parse_week(args.week)  # a bad week is a usage error (exit 2), as in review and decide
    if not ctx.db.exists():
        raise PostlaunchError(
            f"no database at {ctx.db}: load usage first with `postlaunch ingest usage FILE`"
        )
    with connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        draw = draw_sample(conn, ctx, args.deployment, args.week, n=args.n, new=args.new, by=args.by)
    text = write_csv(draw)
    if args.out is not None:
        try:
            args.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise PostlaunchError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
        where = f" → {args.out}"
    else:
        sys.stdout.write(text)
        where = ""
    print(f"postlaunch scope sample: {describe(draw, args.n)}{where}", file=sys.stderr)
    if args.out is not None:
        print(
            f"fill in use_case and labelled_by, then: postlaunch ingest labels {args.out}",
            file=sys.stderr,
        )
    return 0
