"""`postlaunch rollup`: compute the weekly rollup every metric reads. With the default engine, rebuild it
from the events stored in the database (after a change of timezone, or to compact it; ingest and
placement keep it current on their own). With `--engine spark`, compute it where the logs live, from
Parquet files or catalog tables, and load only the rollup into the database (DESIGN §18).
"""

from __future__ import annotations

import argparse
import json
import time

from postlaunch import rollup
from postlaunch import weeks as wk
from postlaunch.config import Context, load_context
from postlaunch.db import connect, transaction
from postlaunch.errors import PostlaunchError, UsageError

SHOWN_REASONS = 5


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "rollup",
        parents=parents,
        description="Compute the weekly rollup (the additive weekly aggregates every metric reads), counting "
        "weeks in the configured timezone: from the usage and feedback stored in the database (engine duckdb), "
        "or with Apache Spark from Parquet files or catalog tables where the logs live (engine spark: a local "
        "session, a cluster given --master, or Spark Connect given SPARK_REMOTE), loading only the rollup.",
    )
    parser.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        default="duckdb",
        help="duckdb (default): from the events stored in the database; spark: from --usage/--feedback",
    )
    spark = parser.add_argument_group("engine spark")
    spark.add_argument(
        "--usage", metavar="PATH|TABLE", help="usage events: a Parquet path or glob, or a table"
    )
    spark.add_argument(
        "--feedback", metavar="PATH|TABLE", help="feedback: a Parquet path or glob, or a table"
    )
    spark.add_argument(
        "--weeks",
        metavar="W1:W2",
        help="replace only these ISO weeks (e.g. 2026-W40:2026-W47; default every week)",
    )
    spark.add_argument(
        "--master", metavar="URL", help="Spark master (default local[2]; SPARK_REMOTE selects Spark Connect)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per source")
    parser.set_defaults(run=run)


def _weeks(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    first, sep, last = text.partition(":")
    if not sep:
        raise UsageError(f"--weeks {text!r}: expected FIRST:LAST, e.g. 2026-W40:2026-W47")
    try:
        a, b = wk.format_week(wk.parse_week(first)), wk.format_week(wk.parse_week(last))
    except PostlaunchError as exc:
        raise UsageError(f"--weeks: {exc}") from None
    if wk.week_index(b) < wk.week_index(a):
        raise UsageError(f"--weeks {text}: {b} comes before {a}")
    return a, b


def run(args: argparse.Namespace) -> int:
    ctx = load_context(args.config, args.db)
    if args.engine == "spark":
        return _spark(ctx, args)
    given = [f"--{n}" for n in ("usage", "feedback", "weeks", "master") if getattr(args, n) is not None]
    if given:
        raise UsageError(f"{', '.join(given)} apply to --engine spark")
    if not ctx.db.exists():
        raise PostlaunchError(
            f"no database at {ctx.db}: load data first with `postlaunch ingest KIND FILE...`"
        )
    started = time.perf_counter()
    with connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        state = rollup.read_state(conn)
        if state is not None and state.source != "duckdb":
            raise PostlaunchError(
                f"this database's rollup was computed by {state.source} where the events live; it holds no "
                f"events to rebuild it from: run `postlaunch rollup --engine {state.source} --usage ...` again"
            )
        with transaction(conn):
            rollup.rebuild(conn, ctx.settings.timezone)
        ((rows,),) = conn.execute("SELECT count(*) FROM usage_rollup").fetchall()
    print(
        f"rollup rebuilt from the stored events in {time.perf_counter() - started:.1f} s: {rows:,} rows, "
        f"weeks in {ctx.settings.timezone}"
    )
    return 0


def _spark(ctx: Context, args: argparse.Namespace) -> int:
    if args.usage is None and args.feedback is None:
        raise UsageError("--engine spark needs --usage PATH|TABLE and/or --feedback PATH|TABLE")
    weeks = _weeks(args.weeks)
    # Spark and the pipeline are imported only here: every other command starts without them.
    from ingest.runs import now
    from ingest.spark.load import load
    from ingest.spark.pipeline import roll_up
    from ingest.spark.session import spark_session

    started, clock = now(), time.perf_counter()
    spark = spark_session(args.master)
    try:
        result = roll_up(spark, ctx, usage=args.usage, feedback=args.feedback, weeks=weeks)
    finally:
        if args.master is None:
            spark.stop()
    runs = load(ctx, result, weeks, started)
    seconds = time.perf_counter() - clock
    for run in runs:
        if args.json:
            print(json.dumps(run.as_json(), sort_keys=True))
            continue
        print(
            f"{run.file}: {run.kind} rows={run.rows:,} loaded={run.loaded:,} duplicates={run.duplicates:,} "
            f"quarantined={run.quarantined:,}"
            + (f" outside the weeks={run.notes['outside_weeks']:,}" if "outside_weeks" in run.notes else "")
        )
        for reason, n in list(run.notes["quarantined_by_reason"].items())[:SHOWN_REASONS]:
            print(f"  {n:,} quarantined: {reason}")
    if not args.json:
        span = f"weeks {weeks[0]} to {weeks[1]}" if weeks else "every week"
        print(
            f"rollup computed by Spark in {seconds:.1f} s and loaded ({span}, in {ctx.settings.timezone}): "
            f"{len(result.usage):,} rollup rows, {len(result.examples):,} redacted example texts; no event was copied"
        )
    return 0
