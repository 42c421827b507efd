"""Ingest benchmark (a script that prints figures, not a test): generates a usage CSV with DuckDB SQL,
then times `postlaunch ingest usage FILE` into a fresh database against DuckDB's bare
`CREATE TABLE t AS SELECT * FROM read_csv(FILE)`, each in its own subprocess, and reports rows/s,
the ratio (target <= 3) and the ingest's peak RSS (target <= 2 GiB).

usage: .venv/bin/python benchmarks/ingest.py [--rows N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import duckdb
import psutil

REGISTRY = """
[deployments.support-triage]
name = "Support ticket triage"
owner = "Head of Support Operations"
risk_tier = "high"
launched = 2026-06-01
approved_use_cases = ["ticket_classification", "routing_suggestion"]

[deployments.hr-assistant]
name = "HR policy assistant"
owner = "HR Operations"
risk_tier = "low"
launched = 2026-06-01
approved_use_cases = ["policy_question"]

[deployments.code-helper]
name = "Code helper"
owner = "Engineering"
risk_tier = "medium"
launched = 2026-06-01
approved_use_cases = ["code_review"]
"""

# One realistic request per row (60-120 characters), about 8% holding an email or a phone number.
GENERATE = """
COPY (
    SELECT
        'e-' || i AS event_id,
        strftime(TIMESTAMP '2026-09-01' + to_seconds(i * 3 % 7776000), '%Y-%m-%dT%H:%M:%SZ') AS timestamp,
        ['support-triage', 'hr-assistant', 'code-helper'][1 + i % 3] AS deployment,
        'u' || (hash(i) % 5000) AS user_id,
        ['support-l1', 'support-l2', 'eng'][1 + (i // 7) % 3] AS team,
        ['ticket_classification', 'routing_suggestion', NULL][1 + (i // 11) % 3] AS use_case,
        CASE
            WHEN i % 20 = 0 THEN 'Please route the ticket from jane.doe' || (i % 997)
                || '@example.com about invoice ' || i || ' to the billing team quickly'
            WHEN i % 33 = 0 THEN 'Customer called from +44 20 7946 0' || lpad((i % 999)::VARCHAR, 3, '0')
                || ' regarding order ' || i || ', needs a refund for the duplicate charge'
            ELSE 'Classify this support ticket number ' || i || ' about login problems after the update of '
                || (i % 28 + 1) || ' Oct on the mobile app'
        END AS request_text,
        ['gpt-4o-mini', 'claude-sonnet'][1 + i % 2] AS model,
        100 + i % 900 AS input_tokens,
        20 + i % 300 AS output_tokens,
        round(200 + (i % 5000) / 3.0, 1) AS latency_ms,
        ['ok', 'ok', 'ok', 'error', 'escalated'][1 + i % 5] AS outcome,
        ['public', 'internal', 'confidential'][1 + i % 3] AS data_class,
        round((i % 1000) / 10000.0, 4) AS cost,
        1 AS requests
    FROM range({rows}) t(i)
) TO '{path}' (HEADER)
"""

BARE = textwrap.dedent(
    """
    import sys, duckdb
    conn = duckdb.connect(sys.argv[1])
    conn.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[2]])
    """
)


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """(seconds, peak RSS bytes of the process tree, stdout) of one subprocess, RSS polled every 50 ms."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:3])}... failed ({proc.returncode}):\n{err[-2000:]}")
    return seconds, peak, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep the files")
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each side, alternating; the best counts"
    )
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="postlaunch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        csv = work / "usage.csv"
        t0 = time.perf_counter()
        with duckdb.connect() as conn:
            conn.execute(GENERATE.format(rows=int(args.rows), path=str(csv).replace("'", "''")))
        size = csv.stat().st_size
        print(f"generated {args.rows:,} rows, {size / 1e6:,.0f} MB in {time.perf_counter() - t0:.1f} s")
        (work / "postlaunch.toml").write_text(REGISTRY, encoding="utf-8")
        load = os.getloadavg()[0]

        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("POSTLAUNCH_")}
        cli = "import sys, cli.main as c; c.COMMANDS = {'ingest': 'ingest'}; sys.exit(c.main(sys.argv[1:]))"
        bare_runs, ingest_runs = [], []
        for i in range(max(1, args.repeat)):
            bare_db, ingest_db = work / f"bare{i}.duckdb", work / f"ingest{i}.duckdb"
            bare_runs.append(measure([sys.executable, "-c", BARE, str(bare_db), str(csv)]))
            ingest_runs.append(
                measure(
                    [sys.executable, "-c", cli, "--db", str(ingest_db), "--config", str(work / "postlaunch.toml"),
                     "ingest", "usage", str(csv), "--json"],
                    env,
                )
            )  # fmt: skip
            for path in (bare_db, ingest_db):
                path.unlink(missing_ok=True)
            print(f"run {i + 1}: bare {bare_runs[-1][0]:.1f} s, ingest {ingest_runs[-1][0]:.1f} s")
        bare_s, bare_rss, _ = min(bare_runs)
        ingest_s, _, out = min(ingest_runs)
        ingest_rss = max(r[1] for r in ingest_runs)
        print(f"ingest summary: {out.strip()}")
        print(
            f"load average before the runs: {load:.2f}, after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
        )
        print(
            f"DuckDB bare read_csv CTAS : {bare_s:7.1f} s  {args.rows / bare_s:>12,.0f} rows/s  peak RSS {bare_rss / 2**20:,.0f} MiB"
        )
        print(
            f"postlaunch ingest usage   : {ingest_s:7.1f} s  {args.rows / ingest_s:>12,.0f} rows/s  peak RSS {ingest_rss / 2**20:,.0f} MiB"
        )
        ratio = ingest_s / bare_s
        print(f"ratio ingest / bare       : {ratio:.2f}  (target <= 3)  {'OK' if ratio <= 3 else 'MISSED'}")
        print(
            f"peak RSS of the ingest    : {ingest_rss / 2**30:.2f} GiB  (target <= 2)  {'OK' if ingest_rss <= 2**31 else 'MISSED'}"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
