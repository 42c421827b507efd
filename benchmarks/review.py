"""Benchmark: `postlaunch review` and `postlaunch check` on 10,000,000 usage events (20 deployments,
16 weeks) against DuckDB's own bare GROUP BY over the same table. Prints figures; it is not a test.

    .venv/bin/python benchmarks/review.py [--events N] [--keep] [--db PATH] [--runs 3]

Targets: review <= 3x the GROUP BY, check <= 6x, peak RSS <= 2 GiB (each as a subprocess, so process
start-up counts alike). With --keep the database and its registry stay in benchmarks/.cache (or at
--db PATH) and are reused by the next run and by the dashboard benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CACHE = ROOT / "benchmarks" / ".cache"
START = date(2026, 6, 1)  # a Monday: ISO week 2026-W23
TIERS = ("low", "medium", "high")
GROUPBY = (
    "SELECT deployment, strftime(ts, '%G-W%V') AS week, use_case, count(*) FROM usage_events GROUP BY ALL"
)
GROUPBY_SCRIPT = (
    f"import sys, duckdb; c = duckdb.connect(sys.argv[1], read_only=True); c.execute({GROUPBY!r}).fetchall()"
)

# Usage events: 20 deployments, spread evenly over the weeks, a few use cases outside the approved
# three, errors, teams and data classes; every row stands for one request.
USAGE_SQL = """
INSERT INTO usage_events
SELECT i::UHUGEINT, i::UHUGEINT, NULL,
       $start::TIMESTAMP + to_microseconds((i::HUGEINT * $span // $n)::BIGINT),
       'dep-' || lpad(((i % $deps) + 1)::VARCHAR, 2, '0'),
       'u' || (hash(i) % 400)::VARCHAR,
       ['team-a', 'team-b', 'team-c', 'contractors'][1 + (hash(i * 3) % 4)::INTEGER],
       CASE WHEN hash(i * 5) % 100 < 4 THEN 'off_label'
            WHEN hash(i * 5) % 100 < 6 THEN NULL
            ELSE ['uc_a', 'uc_b', 'uc_c'][1 + (hash(i * 7) % 3)::INTEGER] END,
       NULL, false, NULL, 'model-x', 400 + hash(i) % 800, 150 + hash(i * 11) % 400,
       200 + (hash(i * 13) % 2000)::DOUBLE,
       CASE WHEN hash(i * 17) % 100 < 3 THEN 'error' WHEN hash(i * 17) % 100 < 5 THEN 'escalated' ELSE 'ok' END,
       ['public', 'internal', 'internal', 'confidential'][1 + (hash(i * 19) % 4)::INTEGER],
       0.002, 1, NULL, NULL, NULL, 'bench', i
FROM range($n) t(i)
"""
FEEDBACK_SQL = """
INSERT INTO feedback
SELECT i::UHUGEINT, i::UHUGEINT, 'f' || i, $start::TIMESTAMP + to_microseconds((i::HUGEINT * $span // $n)::BIGINT),
       'dep-' || lpad(((i % $deps) + 1)::VARCHAR, 2, '0'), NULL, 'user',
       (1 + hash(i) % 5)::SMALLINT, NULL, hash(i * 3) % 10 < 8, (hash(i * 5) % 4) * 5.0, NULL, 'bench', i
FROM range($n) t(i)
"""
COST_SQL = """
INSERT INTO cost_records
SELECT (d * 100000 + day)::UHUGEINT, (d * 100000 + day)::UHUGEINT, $start::DATE + day::INTEGER,
       $start::DATE + day::INTEGER, 'dep-' || lpad((d + 1)::VARCHAR, 2, '0'), 30.0 + d, 'USD', 30.0 + d,
       'subscription', 'seat licences', 'cost', 'bench', NULL
FROM range($deps) a(d), range($days) b(day)
"""


def registry_toml(deployments: int) -> str:
    parts = []
    for d in range(1, deployments + 1):
        parts.append(
            f'[deployments.dep-{d:02d}]\nname = "Benchmark deployment {d}"\nowner = "Owner {d}"\n'
            f'risk_tier = "{TIERS[d % 3]}"\nlaunched = {START.isoformat()}\n'
            'approved_use_cases = ["uc_a", "uc_b", "uc_c"]\napproved_teams = ["team-a", "team-b", "team-c"]\n'
            f"weekly_budget = {2000 + 100 * d}.0\n"
        )
    return "\n".join(parts)


def build(db: Path, events: int, deployments: int, weeks: int) -> float:
    """Write the benchmark database (run in a child process, see `prepare`); returns seconds taken."""
    from postlaunch import rollup
    from postlaunch.db import connect

    began = time.perf_counter()
    span = weeks * 7 * 86400 * 1_000_000
    common = {"start": START.isoformat(), "deps": deployments}
    with connect(db) as conn:
        conn.execute("BEGIN TRANSACTION")
        conn.execute(USAGE_SQL, {**common, "n": events, "span": span})
        conn.execute(FEEDBACK_SQL, {**common, "n": max(events // 50, 1), "span": span})
        conn.execute(COST_SQL, {**common, "days": weeks * 7})
        conn.execute(
            "INSERT INTO ingest_runs (run_id, file, kind, rows, loaded, status, started_at) "
            "VALUES ('bench', 'benchmarks/review.py', 'usage', ?, ?, 'loaded', now()::TIMESTAMP)",
            [events, events],
        )
        rollup.rebuild(conn, "UTC")  # what ingest keeps current, built once for rows inserted by hand
        conn.execute("COMMIT")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - began


def prepare(args: argparse.Namespace) -> tuple[Path, Path, Path | None]:
    """(db, config, temp dir to delete or None): reuse a kept database whose stamp matches."""
    stamp = {"events": args.events, "deployments": args.deployments, "weeks": args.weeks, "start": str(START)}
    if args.keep or args.db:
        db = Path(args.db) if args.db else CACHE / f"review-{args.events}.duckdb"
        tmp = None
    else:
        tmp = Path(tempfile.mkdtemp(prefix="postlaunch-bench-"))
        db = tmp / "bench.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    config = db.with_suffix(".toml")
    stamp_file = db.with_suffix(".json")
    if (
        db.exists()
        and stamp_file.exists()
        and json.loads(stamp_file.read_text()) == stamp
        and config.exists()
    ):
        print(f"reusing {db}")
        return db, config, tmp
    for path in (db, Path(str(db) + ".wal"), stamp_file):
        path.unlink(missing_ok=True)
    config.write_text(registry_toml(args.deployments))
    # Built in a child process: the parent stays small, so the peak RSS measured for each timed child
    # (which on Linux starts from the parent's image at fork/exec) is the child's own.
    began = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--build-only",
            str(db),
            "--events",
            str(args.events),
            "--deployments",
            str(args.deployments),
            "--weeks",
            str(args.weeks),
        ],
        check=True,
    )
    seconds = time.perf_counter() - began
    stamp_file.write_text(json.dumps(stamp))
    print(f"built {db} ({args.events:,} events) in {seconds:.1f} s, {db.stat().st_size / 2**20:,.0f} MiB")
    return db, config, tmp


def timed(cmd: list[str], runs: int) -> tuple[float, float]:
    """Best wall time of `runs` warm runs (after one warm-up) and the peak RSS in MiB of any run."""
    best, peak = float("inf"), 0.0
    for attempt in range(runs + 1):
        began = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode not in (0, 1, 2):
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {err[-800:]}")
        peak = max(peak, usage.ru_maxrss / 1024)
        if attempt:
            best = min(best, elapsed)
    return best, peak


def in_process(db: Path, config: Path, week: str, runs: int) -> dict[str, float]:
    import duckdb

    from metrics import api
    from postlaunch.config import load_context
    from postlaunch.db import connect

    ctx = load_context(config, db)
    out: dict[str, float] = {}
    for label, fn in (
        ("review", lambda c: api.build_review(c, ctx, "dep-07", week)),
        ("check", lambda c: api.check(c, ctx, week=week)),
    ):
        times = []
        for _ in range(runs + 1):
            with connect(db, read_only=True) as conn:
                began = time.perf_counter()
                fn(conn)
                times.append(time.perf_counter() - began)
        out[label] = min(times[1:])
    conn = duckdb.connect(str(db), read_only=True)
    times = []
    for _ in range(runs + 1):
        began = time.perf_counter()
        conn.execute(GROUPBY).fetchall()
        times.append(time.perf_counter() - began)
    conn.close()
    out["groupby"] = min(times[1:])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--deployments", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="warm runs per command; the best counts")
    parser.add_argument(
        "--keep", action="store_true", help="keep (and reuse) the database in benchmarks/.cache"
    )
    parser.add_argument("--db", metavar="PATH", help="keep (and reuse) the database at PATH")
    parser.add_argument("--build-only", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(Path(args.build_only), args.events, args.deployments, args.weeks)
        return 0

    db, config, tmp = prepare(args)
    try:
        week = (START + timedelta(weeks=args.weeks - 1)).strftime("%G-W%V")
        pl = [str(Path(sys.executable).with_name("postlaunch")), "--db", str(db), "--config", str(config)]
        review_cmd = [*pl, "review", "--deployment", "dep-07", "--week", week, "--format", "json"]
        check_cmd = [*pl, "check", "--week", week]
        groupby_cmd = [sys.executable, "-c", GROUPBY_SCRIPT, str(db)]
        rows = {
            "GROUP BY (bare duckdb)": timed(groupby_cmd, args.runs),
            "postlaunch review": timed(review_cmd, args.runs),
            "postlaunch check": timed(check_cmd, args.runs),
        }
        base = rows["GROUP BY (bare duckdb)"][0]
        print(
            f"\n{args.events:,} usage events, {args.deployments} deployments, {args.weeks} weeks; week {week}"
        )
        print(f"{'subprocess':<26}{'best s':>9}{'x GROUP BY':>12}{'peak RSS MiB':>14}")
        for label, (secs, rss) in rows.items():
            print(f"{label:<26}{secs:>9.3f}{secs / base:>12.2f}{rss:>14.0f}")
        inner = in_process(db, config, week, args.runs)
        print(f"\n{'in process':<26}{'best s':>9}{'x GROUP BY':>12}")
        for label in ("groupby", "review", "check"):
            print(f"{label:<26}{inner[label]:>9.3f}{inner[label] / inner['groupby']:>12.2f}")
        review_ratio = rows["postlaunch review"][0] / base
        check_ratio = rows["postlaunch check"][0] / base
        peak = max(rss for _, rss in rows.values())
        print(
            f"\nreview/GROUPBY {review_ratio:.2f} (target <= 3) {'OK' if review_ratio <= 3 else 'MISSED'}; "
            f"check/GROUPBY {check_ratio:.2f} (target <= 6) {'OK' if check_ratio <= 6 else 'MISSED'}; "
            f"peak RSS {peak:,.0f} MiB (target <= 2048) {'OK' if peak <= 2048 else 'MISSED'}"
        )
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
