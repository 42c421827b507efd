"""Atomicity and concurrency of ingest (DESIGN §4 "Atomic", §2 connections): a process killed with
SIGKILL mid-file leaves the database as before (rows it had appended under its lease are never loaded,
and the next ingest removes them); two ingests at once, one that commits between another's reading of
the stored identities and its append, or an ingest beside a reader loop, all finish with no row lost
or doubled."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ingest import lease
from postlaunch.db import connect

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
    """What the database holds once the leases of dead ingests are recovered (as the next ingest does),
    checking that readers saw the same before the recovery."""
    with duckdb.connect(str(db)) as conn:  # opened read-write: replays the WAL
        visible = conn.execute("SELECT count(*) FROM usage_loaded").fetchone()[0]
    with connect(db) as conn:
        conn.execute("BEGIN TRANSACTION")
        lease.recover_dead(conn)
        conn.execute("COMMIT")
    with duckdb.connect(str(db)) as conn:
        events = conn.execute("SELECT count(*) FROM usage_events").fetchone()[0]
        quarantined = conn.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        distinct = conn.execute("SELECT count(DISTINCT identity) FROM usage_events").fetchone()[0]
        runs = conn.execute(
            "SELECT status, loaded, quarantined FROM ingest_runs WHERE kind = 'usage'"
        ).fetchall()
        leases = conn.execute("SELECT count(*) FROM ingest_leases").fetchone()[0]
    assert distinct == events, "an identity is stored twice"
    assert visible == events, "readers saw rows that were not loaded"
    assert leases == 0
    return events, quarantined, distinct, runs


# Runs `postlaunch ingest ...` and stops it right after an SQL statement of the file's way in: argv[1] is
# "START" (the first statement starting so), "START#N" (its N-th) or "BEFORE>START" (the first START after
# a BEFORE). There it prints "AT <point>" and, with argv[2] = "kill", waits to be killed; else it waits
# until the file argv[2] exists, then goes on. So each stop lands at a known step whatever the machine's speed.
STOPPER = """
import os, sys, time
import ingest.append, ingest.engine, ingest.lease, ingest.numbered, ingest.onefile, ingest.runs, ingest.sqltext, ingest.store
point, release, real = sys.argv[1], sys.argv[2], ingest.sqltext.run_sql
after, _, start = point.rpartition(">")
start, _, nth = start.partition("#")
state = {"armed": not after, "seen": 0, "done": False}
def run_sql(conn, sql, params=None):
    out = real(conn, sql, params)
    text = " ".join(sql.split())
    if not state["armed"] and text.startswith(after):
        state["armed"] = True
    elif state["armed"] and not state["done"] and text.startswith(start):
        state["seen"] += 1
        if state["seen"] == int(nth or 1):
            state["done"] = True
            print("AT", point, flush=True)
            if release == "kill":
                time.sleep(600)
            while not os.path.exists(release):
                time.sleep(0.05)
    return out
for module in (ingest.append, ingest.engine, ingest.lease, ingest.numbered, ingest.onefile, ingest.runs, ingest.store):
    module.run_sql = run_sql
import cli.main
sys.exit(cli.main.main(sys.argv[3:]))
"""

# The steps of one file's way in, in order, and whether the file is loaded once the process is killed
# there (only after its last COMMIT). The file has more new rows than one chunk: they are appended in
# several transactions under the ingest lease, then the run is recorded.
KILL_POINTS = [
    ("SET TimeZone = $tz", False),  # validation is about to run, in the working connection
    ("CREATE TEMP VIEW __pl_v", False),  # the file is read and validated
    ("CREATE TEMP TABLE __pl_seen", False),  # the stored identities are read
    ("CREATE OR REPLACE TEMP TABLE __pl_cls", False),  # duplicates and conflicts classified
    ("INSERT INTO ingest_leases", False),  # the lease is being taken
    ("COMMIT", False),  # the lease is held
    ('INSERT INTO "usage_events"', False),  # the first chunk is being appended
    ("UPDATE ingest_leases", False),  # the first chunk renews the lease
    ("UPDATE ingest_leases>COMMIT", False),  # the first chunk is appended (stored, not loaded)
    ("UPDATE ingest_leases#2", False),  # the second chunk (N - bad rows > one chunk) is being appended
    ("INSERT INTO quarantine", False),  # its last transaction: bad rows quarantined
    ("INSERT INTO ingest_runs", False),  # its run recorded
    ("DELETE FROM ingest_leases", False),  # its lease given back: only COMMIT is left
    ("DELETE FROM ingest_leases>COMMIT", True),
]


def _stopped(workspace, point: str, release: str, *args: str) -> subprocess.Popen[str]:
    """`postlaunch ingest ARGS` standing at `point` (see STOPPER)."""
    proc = subprocess.Popen([sys.executable, "-c", STOPPER, point, release, *workspace.argv("ingest", *args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the process stands at the point
    assert line.strip() == f"AT {point}", (point, line, proc.stderr.read() if proc.stderr else "")
    return proc


def test_sigkill_mid_file_leaves_the_database_as_before(workspace) -> None:
    big = workspace.path / "big.csv"
    _generate(big, N)
    seed = workspace.write("seed.csv", "timestamp,deployment,user_id\n2026-11-02,support-triage,seed\n")
    assert (
        subprocess.run(workspace.cli_command("ingest", "usage", str(seed)), capture_output=True).returncode
        == 0
    )
    expected_bad = N // BAD_EVERY
    for point, committed in KILL_POINTS:
        proc = _stopped(workspace, point, "kill", "usage", str(big))
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


def test_an_ingest_that_commits_between_reading_and_appending(workspace) -> None:
    """B reads the stored identities, A then loads an overlapping file, B appends: B finds A's rows and
    counts them as duplicates (many rows: appended in chunks under the lease)."""
    a, b = workspace.path / "a.csv", workspace.path / "b.csv"
    _generate(a, N, start=0)
    _generate(b, N, start=N // 2)  # its first half repeats a's second half, value for value
    release = workspace.path / "release"
    proc = _stopped(
        workspace, "CREATE OR REPLACE TEMP TABLE __pl_cls", str(release), "usage", str(b), "--json"
    )
    first = subprocess.run(workspace.cli_command("ingest", "usage", str(a), "--json"), capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert first.returncode == 0, first.stderr
    release.touch()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    obj = json.loads(out)
    bad = N // BAD_EVERY  # in each file; in the overlap, half of each file's
    assert (obj["rows"], obj["loaded"], obj["duplicates"]) == (N, N // 2 - bad // 2, N // 2 - bad // 2)
    events, quarantined, _, runs = _count(workspace.db)
    # each run quarantined its file's bad rows; a bad row of the overlap is one source row, stored once
    assert obj["quarantined"] == bad
    assert events == 3 * N // 2 - 3 * bad // 2 and quarantined == 2 * bad - bad // 2 and len(runs) == 2


def test_a_conflict_committed_between_reading_and_writing_is_quarantined(workspace) -> None:
    """The same window for a small file (written in one transaction): the row A loaded meanwhile makes
    B's row with the same event_id and other values a conflict, named with A's file."""
    a = workspace.write("a.csv", "event_id,timestamp,deployment,user_id\ne-1,2026-11-02,support-triage,u1\n")
    b = workspace.write("b.csv", "event_id,timestamp,deployment,user_id\ne-1,2026-11-03,support-triage,u2\n"
                        "e-2,2026-11-03,support-triage,u2\n")  # fmt: skip
    release = workspace.path / "release"
    proc = _stopped(
        workspace, "CREATE OR REPLACE TEMP TABLE __pl_cls", str(release), "usage", str(b), "--json"
    )
    first = subprocess.run(workspace.cli_command("ingest", "usage", str(a)), capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert first.returncode == 0, first.stderr
    release.touch()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    obj = json.loads(out)
    assert (obj["rows"], obj["loaded"], obj["duplicates"], obj["quarantined"]) == (2, 1, 0, 1)
    assert obj["reasons"][0].startswith('line 2: event_id "e-1" was loaded on ')
    assert obj["reasons"][0].endswith(" from a.csv with other values")
    assert _count(workspace.db)[:2] == (2, 1)


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


def test_a_killed_ingests_spill_folder_is_removed_by_the_next_ingest(
    workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed ingest cannot remove its DuckDB spill folder (with up to the file's size in it): the next
    ingest removes the folders of processes that no longer run, and leaves any other alone."""
    temp = workspace.path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # the ingests' temp folder (inherited by the subprocesses)
    small = workspace.write("small.csv", "timestamp,deployment,user_id\n2026-11-02,support-triage,u1\n")
    proc = _stopped(workspace, "SET TimeZone = $tz", "kill", "usage", str(small))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (left,) = temp.glob(f"postlaunch-ingest-{socket.gethostname()}-{proc.pid}-*")
    (left / "spill.block").write_bytes(b"\0" * 1024)  # as if it had spilled
    live = temp / f"postlaunch-ingest-{socket.gethostname()}-{os.getpid()}-x"  # a running process's folder
    other = temp / f"postlaunch-ingest-otherhost-{proc.pid}-x"  # another host's: never touched
    longer = temp / f"postlaunch-ingest-{socket.gethostname()}-{proc.pid}-{proc.pid}-x"  # host "<ours>-N"'s
    for folder in (live, other, longer):
        folder.mkdir()
    result = subprocess.run(
        workspace.cli_command("ingest", "usage", str(small)), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in temp.iterdir()) == sorted([live.name, other.name, longer.name])
