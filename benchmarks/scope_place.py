"""Benchmark of scope placement in the database (ingest/scope/place.py): unlabeled usage events whose
request texts are real Banking77 customer queries (CC-BY-4.0, read in place from ../shared/data/banking77),
placed for a top-up assistant. Prints seconds and events/s for: repeated texts, all-distinct texts, the
no-op re-run, and a re-placement after a registry change. Run: .venv/bin/python benchmarks/scope_place.py
[--events N] [--distinct N]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from ingest.scope.place import place_pending  # noqa: E402
from postlaunch.config import load_context  # noqa: E402
from postlaunch.db import connect  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "banking77" / "banking77_train.csv"

REGISTRY = """
[deployments.top-up-assistant]
name = "Top-up assistant"
owner = "Payments"
risk_tier = "medium"
launched = 2026-01-05
approved_use_cases = ["top_up_failed", "top_up_limits", "pending_top_up"]

[deployments.top-up-assistant.use_case_descriptions]
top_up_failed = "Explain why a top-up of the account failed or was declined and what to do"
top_up_limits = "Explain the limits on how much and how often the account can be topped up"
pending_top_up = "Explain why a top-up is still pending and when the money will arrive"

[deployments.top-up-assistant.use_case_examples]
top_up_failed = ["Why did my top up fail?", "My top-up was declined, what now?", "Top up not working"]
top_up_limits = ["What is the maximum I can top up?", "Is there a limit on top ups per day?", "top up limit"]
pending_top_up = ["My top up is still pending", "How long does a top-up take to show?", "top up pending for hours"]
"""


def build(db: Path, events: int, distinct: int) -> None:
    """`events` unlabeled usage events cycling through `distinct` texts: Banking77 queries, made distinct
    beyond its 10,003 by a numbered suffix (as a ticket number would)."""
    with connect(db) as conn:
        conn.execute("DELETE FROM usage_events")
        conn.execute(
            """
            CREATE TEMP TABLE q AS
            SELECT row_number() OVER () - 1 AS k, text FROM read_csv($path, header = true, all_varchar = true)
            """,
            {"path": str(DATA)},
        )
        n_q = conn.execute("SELECT count(*) FROM q").fetchone()[0]  # type: ignore[index]
        conn.execute(
            """
            INSERT INTO usage_events (identity, content_hash, ts, deployment, user_id, request_text, has_text,
                                      outcome, requests, run_id)
            SELECT md5_number(i::VARCHAR), md5_number(i::VARCHAR),
                   TIMESTAMP '2026-01-05' + to_seconds(i % 8000000), 'top-up-assistant', 'u' || (i % 997),
                   CASE WHEN i % $distinct < $nq THEN q.text ELSE q.text || ' (ref ' || (i % $distinct) || ')' END,
                   true, 'ok', 1, 'bench'
            FROM range($events) t(i) JOIN q ON q.k = (i % $distinct) % $nq
            """,
            {"events": events, "distinct": distinct, "nq": n_q},
        )


def run(label: str, ctx: object, events: int) -> None:
    started = time.perf_counter()
    [summary] = place_pending(ctx)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    rate = summary.placed / seconds if seconds > 0 else 0.0
    print(
        f"{label:<44} placed {summary.placed:>9,} events, {summary.distinct_texts:>9,} distinct texts, "
        f"{seconds:7.2f} s, {rate:>10,.0f} events/s, {summary.distinct_texts / seconds:>8,.0f} texts/s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=20_000)
    args = parser.parse_args()
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, duckdb {duckdb.__version__}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "postlaunch.toml"
        config.write_text(REGISTRY, encoding="utf-8")
        db = Path(tmp) / "bench.duckdb"
        ctx = load_context(config, db)
        for distinct in (args.distinct, args.events):
            build(db, args.events, distinct)
            run(f"{args.events:,} events, {distinct:,} distinct texts", ctx, args.events)
            run("  re-run, nothing pending", ctx, args.events)
        config.write_text(
            REGISTRY.replace("declined, what now", "declined by the bank, what now"), encoding="utf-8"
        )
        run("  after a registry change (all re-placed)", load_context(config, db), args.events)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
