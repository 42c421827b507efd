"""Benchmark: how long a page read and a `decide` wait for the database while a scheduled ingest of a
large usage file runs (target: the longest wait <= 1 s). A script that prints figures, not a test.

It loads a small seed file (so there is a week to review and decide on), then runs
`postlaunch ingest usage BIG.csv` in a subprocess while a probe process, also a subprocess, loops: every
0.2 s it opens the database read-only and builds the Weekly review (what a dashboard page does), and
every second it records a decision (`actions.decide.record_decision`, what `decide` and the form do).
For each it measures the wait for the database (opening the connection, retried while another process
holds the lock) and the whole operation; the same probe runs for a few seconds before the ingest as the
unloaded baseline.

    .venv/bin/python benchmarks/ingest_wait.py [--rows 5000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import GENERATE, REGISTRY  # noqa: E402  (benchmarks/ingest.py: the same file and registry)

TARGET_SECONDS = 1.0
PROBE = r"""
import json, sys, time
from pathlib import Path
from actions.decide import record_decision
from metrics.api import build_review
from postlaunch.access import cli_user
from postlaunch.config import load_context
from postlaunch.db import connect
config, db, stop, out = sys.argv[1:5]
ctx = load_context(Path(config), Path(db))
rows, next_decide = [], time.monotonic()
while not Path(stop).exists():
    decide = time.monotonic() >= next_decide
    start = time.monotonic()
    with connect(db, read_only=not decide, timeout=120) as conn:
        waited = time.monotonic() - start
        if decide:
            # one decision per deployment-week: each probe supersedes the one before (a new rationale)
            record_decision(conn, ctx, identity=cli_user("probe"), deployment="support-triage", week="2026-W36",
                            decision="continue", rationale=f"benchmark probe {len(rows)}", supersede=True)
            next_decide = time.monotonic() + 1.0
        else:
            build_review(conn, ctx, "support-triage", "2026-W36")
    rows.append(("decide" if decide else "page", start, waited, time.monotonic() - start))
    time.sleep(0.2)
Path(out).write_text(json.dumps(rows))
"""


def _cli(work: Path, db: Path, *args: str, steps: Path | None = None) -> list[str]:
    """`postlaunch ARGS` (only ingest registered); with `steps`, its lock-holding steps logged there."""
    log = (
        f"import logging; logging.basicConfig(filename={str(steps)!r}, level=logging.DEBUG, "
        "format='%(relativeCreated)9.0f %(message)s'); "
        if steps
        else ""
    )
    snippet = (
        log + "import sys, cli.main as c; c.COMMANDS = {'ingest': 'ingest'}; sys.exit(c.main(sys.argv[1:]))"
    )
    return [sys.executable, "-c", snippet, "--db", str(db), "--config", str(work / "postlaunch.toml"), *args]


def _probe(work: Path, db: Path, name: str) -> tuple[subprocess.Popen[str], Path, Path]:
    stop, out = work / f"{name}.stop", work / f"{name}.json"
    stop.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE, str(work / "postlaunch.toml"), str(db), str(stop), str(out)], text=True
    )
    return proc, stop, out


def _finish(proc: subprocess.Popen[str], stop: Path, out: Path) -> list[tuple[str, float, float, float]]:
    stop.touch()
    if proc.wait(timeout=300) != 0:
        sys.exit("the probe failed")
    return [tuple(r) for r in json.loads(out.read_text())]  # type: ignore[misc]


def _line(label: str, rows: list[tuple[str, float, float, float]], kind: str) -> tuple[str, float]:
    waits = sorted(r[2] for r in rows if r[0] == kind)
    totals = sorted(r[3] for r in rows if r[0] == kind)
    if not waits:
        return f"{label:<26}: no {kind} ran", 0.0
    p95 = waits[min(len(waits) - 1, int(0.95 * len(waits)))]
    return (
        f"{label:<26}: {len(waits):4d} x, wait median {statistics.median(waits):.3f} s, p95 {p95:.3f} s, "
        f"longest {waits[-1]:.3f} s; whole operation median {statistics.median(totals):.3f} s, "
        f"longest {totals[-1]:.3f} s",
        waits[-1],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep the files")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="postlaunch-wait-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        big, seed, db = work / "usage.csv", work / "seed.csv", work / "wait.duckdb"
        for path in (db, Path(str(db) + ".wal")):
            path.unlink(missing_ok=True)
        with duckdb.connect() as conn:
            if not big.exists():
                conn.execute(GENERATE.format(rows=int(args.rows), path=str(big).replace("'", "''")))
            seed_sql = GENERATE.format(rows=20_000, path=str(seed).replace("'", "''")).replace(
                "'e-' || i", "'s-' || i"
            )
            conn.execute(seed_sql)
        (work / "postlaunch.toml").write_text(REGISTRY, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("POSTLAUNCH_")}
        subprocess.run(_cli(work, db, "ingest", "usage", str(seed)), check=True, env=env, capture_output=True)
        print(
            f"{args.rows:,}-row usage file, {big.stat().st_size / 1e6:,.0f} MB; load average {os.getloadavg()[0]:.2f}"
        )

        proc, stop, out = _probe(work, db, "baseline")
        time.sleep(5)
        baseline = _finish(proc, stop, out)

        proc, stop, out = _probe(work, db, "during")
        time.sleep(1)
        started = time.monotonic()
        steps = work / "steps.log"
        steps.unlink(missing_ok=True)
        ingest = subprocess.run(
            _cli(work, db, "ingest", "usage", str(big), "--json", steps=steps),
            env=env,
            capture_output=True,
            text=True,
        )
        ingest_s = time.monotonic() - started
        during = _finish(proc, stop, out)
        if ingest.returncode != 0:
            sys.exit(ingest.stderr[-2000:])
        result = json.loads(ingest.stdout.splitlines()[-1])
        print(f"ingest: {ingest_s:.1f} s, loaded {result['loaded']:,}; load average {os.getloadavg()[0]:.2f}")
        longest = 0.0
        for label, rows in (("before the ingest", baseline), ("during the ingest", during)):
            for kind in ("page", "decide"):
                text, worst = _line(f"{kind} {label}", rows, kind)
                print(text)
                if rows is during:
                    longest = max(longest, worst)
        lines = steps.read_text().splitlines()
        holds = [line.split() for line in lines if "held it" in line]
        worst = sorted(holds, key=lambda w: -float(w[-2]))[:3]
        print("the ingest's longest steps with the lock: " + "; ".join(f"{w[1]} {w[-2]} s" for w in worst))
        rounds = [line.split() for line in lines if " round from row " in line]
        if rounds:  # "<t> round from row N: K chunks in S s"
            walls = [float(w[8]) for w in rounds[:-1]] or [float(rounds[-1][8])]
            print(
                f"{sum(int(w[5]) for w in rounds)} chunks of one row group in {len(rounds)} rounds side by side: "
                f"a round median {statistics.median(walls):.2f} s, longest {max(walls):.2f} s; the last chunk "
                f"(a partial row group, through the log and a checkpoint) {float(rounds[-1][8]):.2f} s"
            )
        verdict = "OK" if longest <= TARGET_SECONDS else "MISSED"
        print(f"longest wait during the ingest: {longest:.2f} s (target <= {TARGET_SECONDS:g} s) {verdict}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
