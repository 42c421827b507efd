"""Training-records benchmark (a script that prints figures, not a test): what the untrained measure of
the weekly rollup (DESIGN §15) costs. Generates a usage CSV (benchmarks/ingest.py's generator) and a
training CSV for most of its 5,000 users, then times, each in its own subprocess: `postlaunch ingest
usage` into a fresh database (no training record), the same with the training records loaded first (the
rollup's append joins them), and loading the training records after the usage (the week grain of every
deployment is recomputed).

usage: .venv/bin/python benchmarks/training.py [--rows N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

# benchmarks/ingest.py, beside this script (loaded by path: its name is also the project's ingest package)
_spec = importlib.util.spec_from_file_location("bench_ingest", Path(__file__).with_name("ingest.py"))
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
GENERATE, REGISTRY, measure = bench.GENERATE, bench.REGISTRY, bench.measure

# 4,500 of the 5,000 users trained, a third of them for every deployment, a tenth with an expired course.
TRAINING = """
COPY (
    SELECT 'u' || u AS user_id,
           strftime(TIMESTAMP '2026-08-01' + to_days((u % 60)::INTEGER), '%Y-%m-%dT%H:%M:%SZ') AS completed_at,
           CASE WHEN u % 3 = 0 THEN NULL ELSE ['support-triage', 'hr-assistant', 'code-helper'][1 + u % 3] END
               AS deployment,
           'AI basics' AS course,
           CASE WHEN u % 10 = 0 THEN '2026-10-15T00:00:00Z' END AS expires_at,
           'LMS' AS provider
    FROM range(4500) t(u)
) TO '{path}' (HEADER)
"""
CLI = "import sys, cli.main as c; c.COMMANDS = {'ingest': 'ingest'}; sys.exit(c.main(sys.argv[1:]))"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep the files")
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each side, alternating; the best counts"
    )
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="postlaunch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        usage, training = work / "usage.csv", work / "training.csv"
        with duckdb.connect() as conn:
            conn.execute(GENERATE.format(rows=int(args.rows), path=str(usage).replace("'", "''")))
            conn.execute(TRAINING.format(path=str(training).replace("'", "''")))
        config = work / "postlaunch.toml"
        config.write_text(REGISTRY, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("POSTLAUNCH_")}

        def ingest(db: Path, kind: str, path: Path) -> float:
            cmd = [
                sys.executable,
                "-c",
                CLI,
                "--db",
                str(db),
                "--config",
                str(config),
                "ingest",
                kind,
                str(path),
            ]
            return measure(cmd, env)[0]

        runs: dict[str, list[float]] = {"plain": [], "first": [], "joined": [], "after": []}
        for i in range(max(1, args.repeat)):
            plain_db, first_db = work / f"plain{i}.duckdb", work / f"first{i}.duckdb"
            runs["plain"].append(ingest(plain_db, "usage", usage))
            runs["first"].append(ingest(first_db, "training", training))
            runs["joined"].append(ingest(first_db, "usage", usage))
            runs["after"].append(ingest(plain_db, "training", training))
        plain, first, joined, after_usage = (min(runs[k]) for k in ("plain", "first", "joined", "after"))
        load = os.getloadavg()[0]
        with duckdb.connect(str(work / "plain0.duckdb"), read_only=True) as conn:
            untrained, events = conn.execute(
                "SELECT sum(untrained_events), sum(events) FROM usage_rollup WHERE grain = 'week'"
            ).fetchone()
        print(f"{args.rows:,} usage events of 5,000 users; 4,500 training records; {os.cpu_count()} cores, "
              f"load average {load:.1f}; best of {max(1, args.repeat)}")  # fmt: skip
        print(
            f"ingest usage, no training records          : {plain:6.1f} s  {args.rows / plain:>10,.0f} rows/s"
        )
        print(f"ingest usage, training records loaded first : {joined:6.1f} s  {args.rows / joined:>10,.0f} rows/s"
              f"  ({joined / plain - 1:+.0%})")  # fmt: skip
        print(f"ingest training records before the usage    : {first:6.1f} s")
        print(
            f"ingest training records after the usage     : {after_usage:6.1f} s (week grain of 3 deployments recomputed)"
        )
        print(f"untrained events: {untrained:,} of {events:,} ({untrained / events:.1%})")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
