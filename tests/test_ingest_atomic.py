"""Atomicity and concurrency of ingest (DESIGN §4 "Atomic", §2 connections): a process killed with
SIGKILL mid-file leaves the database as before; two ingests at once, or an ingest beside a reader
loop, both finish with no row lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

N = 300_000
BAD_EVERY = 1000  # every 1000th row has an unknown outcome: N / 1000 quarantined rows


def _generate(path: Path, n: int, start: int = 0, bad_every: int = BAD_EVERY) -> None:
    with duckdb.connect() as conn:
        conn.execute(
            f"""
            COPY (
                SELECT 'e-' || i AS event_id,
                       strftime(TIMESTAMP '2026-09-01' + to_seconds(i), '%Y-%m-%dT%H:%M:%SZ') AS timestamp,
                       CASE WHEN i % 2 = 0 THEN 'support-triage' ELSE 'hr-assistant' END AS deployment,
                       'u' || (i % 997) AS user_id,
                       'Classify ticket ' || i || CASE WHEN i % 50 = 0 THEN ' for jane@example.com' ELSE '' END
                           AS request_text,
                       CASE WHEN i % {bad_every} = 7 THEN 'maybe' ELSE 'ok' END AS outcome,
                       i % 500 AS input_tokens
                FROM range({start}, {start + n}) t(i)
            ) TO '{path}' (HEADER)
            """
        )


def _count(db: Path) -> tuple[int, int, int, list[tuple]]:
    """Open the database read-write (replays the WAL) and report what it holds."""
    with duckdb.connect(str(db)) as conn:
        events = conn.execute("SELECT count(*) FROM usage_events").fetchone()[0]
        quarantined = conn.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        distinct = conn.execute("SELECT count(DISTINCT identity) FROM usage_events").fetchone()[0]
        runs = conn.execute(
            "SELECT status, loaded, quarantined FROM ingest_runs WHERE kind = 'usage'"
        ).fetchall()
    assert distinct == events, "an identity is stored twice"
    return events, quarantined, distinct, runs


# Runs `postlaunch ingest ...` and stops it, for good, right after the first SQL statement that starts with
# argv[1]: it prints "AT <point>" and waits to be killed. So each kill lands at a known step of the file's
# transaction, whatever the machine's speed.
STOPPER = """
import sys, time
import ingest.engine, ingest.runs, ingest.sqltext, ingest.store
point, real = sys.argv[1], ingest.sqltext.run_sql
def run_sql(conn, sql, params=None):
    out = real(conn, sql, params)
    if " ".join(sql.split()).startswith(point):
        print("AT", point, flush=True)
        time.sleep(600)
    return out
for module in (ingest.engine, ingest.runs, ingest.store):
    module.run_sql = run_sql
import cli.main
sys.exit(cli.main.main(sys.argv[2:]))
"""

# The steps of one file's transaction, in order, and whether the file is in the database once the
# process is killed there (only after COMMIT).
KILL_POINTS = [
    ("BEGIN TRANSACTION", False),
    ("SET TimeZone = $tz", False),  # validation is about to run
    ("CREATE TEMP VIEW __pl_v", False),  # the file is read and validated
    ("CREATE TEMP TABLE __pl_cls", False),  # duplicates and conflicts classified
    ('INSERT INTO "usage_events"', False),  # its rows written
    ("INSERT INTO quarantine", False),  # its bad rows quarantined
    ("INSERT INTO ingest_runs", False),  # its run recorded: only COMMIT is left
    ("COMMIT", True),
]


def test_sigkill_mid_file_leaves_the_database_as_before(workspace) -> None:
    big = workspace.path / "big.csv"
    _generate(big, N)
    seed = workspace.write("seed.csv", "timestamp,deployment,user_id\n2026-11-02,support-triage,seed\n")
    assert (
        subprocess.run(workspace.cli_command("ingest", "usage", str(seed)), capture_output=True).returncode
        == 0
    )
    expected_bad = N // BAD_EVERY
    argv = workspace.argv("ingest", "usage", str(big))
    for point, committed in KILL_POINTS:
        proc = subprocess.Popen([sys.executable, "-c", STOPPER, point, *argv], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the process stands at the point
        assert line.strip() == f"AT {point}", (point, line, proc.stderr.read() if proc.stderr else "")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        events, quarantined, _, runs = _count(workspace.db)
        loaded_runs = [r for r in runs if r[1] > 0 and r[1] != 1]
        # either all of the big file is there, with its quarantine and its run record, or none of it
        if not committed:
            assert (events, quarantined, loaded_runs) == (1, 0, []), (point, events, quarantined, runs)
        else:
            assert events == 1 + N - expected_bad, (point, events)
            assert quarantined == expected_bad and len(loaded_runs) == 1, (point, quarantined, runs)
    # once more, to the end: everything is a duplicate now, and nothing is counted twice
    result = subprocess.run(
        workspace.cli_command("ingest", "usage", str(big), "--json"), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert (obj["rows"], obj["loaded"], obj["duplicates"]) == (N, 0, N - expected_bad)
    assert obj["quarantined"] == expected_bad
    assert _count(workspace.db)[0] == 1 + N - expected_bad


def test_two_ingests_at_once_both_finish(workspace) -> None:
    a, b = workspace.path / "a.csv", workspace.path / "b.csv"
    _generate(a, 60_000, start=0)
    _generate(b, 60_000, start=1_000_000)
    procs = [
        subprocess.Popen(
            workspace.cli_command("ingest", "usage", str(p), "--json"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for p in (a, b)
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    for proc, (out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err
        obj = json.loads(out)
        assert (obj["rows"], obj["loaded"], obj["duplicates"], obj["quarantined"]) == (60_000, 59_940, 0, 60)
    events, quarantined, _, runs = _count(workspace.db)
    assert events == 2 * 59_940 and quarantined == 120 and len(runs) == 2


READER = """
import sys, time
from postlaunch.db import connect
from postlaunch.errors import DatabaseBusyError
db, seconds = sys.argv[1], float(sys.argv[2])
seen, end = [], time.monotonic() + seconds
while time.monotonic() < end:
    with connect(db, read_only=True, timeout=60) as conn:
        seen.append(conn.execute("SELECT count(*) FROM usage_events").fetchone()[0])
    time.sleep(0.01)
print(",".join(map(str, seen)))
"""


def test_ingest_beside_a_reader_loop(workspace) -> None:
    seed = workspace.write("seed.csv", "timestamp,deployment,user_id\n2026-11-02,support-triage,seed\n")
    assert (
        subprocess.run(workspace.cli_command("ingest", "usage", str(seed)), capture_output=True).returncode
        == 0
    )
    big = workspace.path / "big.csv"
    _generate(big, 100_000)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(workspace.db), "6"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    time.sleep(0.5)
    ingest = subprocess.run(workspace.cli_command("ingest", "usage", str(big), "--json"), capture_output=True,
                            text=True, timeout=180)  # fmt: skip
    out, err = reader.communicate(timeout=180)
    assert ingest.returncode == 0, ingest.stderr
    assert reader.returncode == 0, err
    obj = json.loads(ingest.stdout)
    assert (obj["loaded"], obj["quarantined"]) == (99_900, 100)
    seen = [int(x) for x in out.strip().split(",")]
    assert seen and set(seen) <= {1, 1 + 99_900}, sorted(set(seen))  # never a partial file
    assert seen == sorted(seen)
    assert _count(workspace.db)[0] == 1 + 99_900
