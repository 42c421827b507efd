"""`postlaunch rollup`: rebuild the weekly rollup every metric reads from the stored events (after a
change of timezone, or to compact it). Ingest and placement keep it current on their own; this is the
command to run when a page or `check` says the rollup is stale.
"""

from __future__ import annotations

import argparse
import time

from postlaunch import rollup
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.errors import PostlaunchError


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "rollup",
        parents=parents,
        description="Rebuild the weekly rollup (the additive weekly aggregates every metric reads) from the "
        "usage and feedback stored in the database, counting weeks in the configured timezone.",
    )
    parser.add_argument(
        "--engine",
        choices=["duckdb"],
        default="duckdb",
        help="where the rollup is computed (default duckdb: from the events stored in the database)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ctx = load_context(args.config, args.db)
    if not ctx.db.exists():
        raise PostlaunchError(
            f"no database at {ctx.db}: load data first with `postlaunch ingest KIND FILE...`"
        )
    started = time.perf_counter()
    with connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        conn.execute("BEGIN TRANSACTION")
        try:
            rollup.rebuild(conn, ctx.settings.timezone)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        ((rows,),) = conn.execute("SELECT count(*) FROM usage_rollup").fetchall()
    print(
        f"rollup rebuilt from the stored events in {time.perf_counter() - started:.1f} s: {rows:,} rows, "
        f"weeks in {ctx.settings.timezone}"
    )
    return 0
