"""`postlaunch dashboard` and `postlaunch demo`: the Streamlit command line they build, --db/--config
passed through the environment, the demo loading the sample into a fresh database, and a served
dashboard answering on loopback (stopped by its PID)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from dashboard_db import ROOT, SampleDb, clean_env, sample_db  # noqa: F401

from cli.commands.dashboard import APP, command, environment
from cli.main import main
from postlaunch.errors import UsageError

# ruff: noqa: F811


def test_command_runs_streamlit_headless_on_the_given_address() -> None:
    cmd = command(8600, "127.0.0.1")
    assert cmd[:6] == [sys.executable, "-P", "-m", "streamlit", "run", str(APP)]
    pairs = dict(zip(cmd[6::2], cmd[7::2], strict=True))
    assert pairs["--server.port"] == "8600"
    assert pairs["--server.address"] == "127.0.0.1"
    assert pairs["--server.headless"] == "true"
    assert pairs["--browser.gatherUsageStats"] == "false"
    assert pairs["--client.showErrorDetails"] == "none"


@pytest.mark.parametrize("port", [0, 70000, -1])
def test_a_port_out_of_range_is_a_usage_error(port: int) -> None:
    with pytest.raises(UsageError, match="is not a port number"):
        command(port, "127.0.0.1")


def test_db_and_config_reach_the_app_as_absolute_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    env = environment("data/x.duckdb", "conf/postlaunch.toml")
    assert env["POSTLAUNCH_DB"] == str(tmp_path / "data" / "x.duckdb")
    assert env["POSTLAUNCH_CONFIG"] == str(tmp_path / "conf" / "postlaunch.toml")
    assert "POSTLAUNCH_DB" not in environment(None, None)


@pytest.mark.slow
def test_demo_loads_the_sample_into_a_fresh_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from metrics.evidence import ingest_runs
    from postlaunch import db as pdb

    clean_env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "demo.duckdb"
    args = ["--db", str(db), "demo", "--out", "data", "--load-only"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "usage.csv: usage rows=" in out and "quarantined=31" in out and "feedback.jsonl" in out
    # the sample's registry becomes ./postlaunch.toml, so later commands work without --config
    assert "wrote the sample registry to ./postlaunch.toml" in out
    assert (tmp_path / "postlaunch.toml").read_bytes() == (tmp_path / "data" / "postlaunch.toml").read_bytes()
    assert "scope support-triage: placed" in out
    with pdb.connect(db, read_only=True) as conn:
        runs = ingest_runs(conn)
    assert sorted(runs["kind"]) == [
        "changes",
        "cost",
        "feedback",
        "incidents",
        "readiness",
        "training",
        "usage",
    ]
    assert (runs["status"] == "loaded").all()
    # A second demo starts from a fresh file and keeps the old one aside.
    (tmp_path / "postlaunch.toml").write_text("# the owner's own registry\n")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "kept the previous database as" in out
    assert "./postlaunch.toml exists and was left alone; the demo reads data/postlaunch.toml" in out
    assert (tmp_path / "postlaunch.toml").read_text() == "# the owner's own registry\n"
    assert len(list(tmp_path.glob("demo.duckdb.bak-*"))) == 1
    with pdb.connect(db, read_only=True) as conn:
        assert len(ingest_runs(conn)) == 7  # usage, cost, feedback, incidents, changes, training, readiness


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_dashboard_command_serves_on_loopback_and_stops_by_pid(sample_db: SampleDb, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("POSTLAUNCH_")}
    env["HOME"] = str(tmp_path)
    args = ["--db", str(sample_db.db), "--config", str(sample_db.config), "dashboard", "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        body = b""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                    body = response.read()
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                time.sleep(0.3)
        assert body == b"ok"
    finally:
        process.terminate()  # the command execs Streamlit: this PID is the server
        process.wait(timeout=20)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)


def test_demo_writes_the_sample_registry_where_config_names_no_file_yet(tmp_path: Path) -> None:
    from cli.commands.demo import _demo_config

    sample = tmp_path / "data"
    sample.mkdir()
    (sample / "postlaunch.toml").write_text("# the sample's registry\n")
    chosen = tmp_path / "conf" / "demo.toml"
    path, note = _demo_config(sample, str(chosen))
    assert path == chosen and chosen.read_text() == "# the sample's registry\n"
    assert note == f"wrote the sample registry to {chosen} (pass --config {chosen} to other commands)"
    chosen.write_text("# the owner's own registry\n")  # an existing file is read, never overwritten
    assert _demo_config(sample, str(chosen)) == (chosen, None)
    assert chosen.read_text() == "# the owner's own registry\n"
