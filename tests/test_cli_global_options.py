"""The global options --db, --config and --debug are accepted before the command and after it (DESIGN
§19): `postlaunch dashboard --port 8599 --db X --config Y` starts the dashboard on X with Y, and ingest,
review, check, decide and quarantine read the database and registry named after the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli import main as cli_main
from cli.main import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]
USAGE = "timestamp,deployment,user_id,use_case\n" + "".join(
    f"2026-11-{2 + i % 5:02d}T10:{i % 60:02d}:00Z,support-triage,u{i % 9},ticket_classification\n"
    for i in range(150)
)
REQUIRED = {  # the arguments each command needs besides the global options
    "ingest": ["usage", "f.csv"],
    "review": ["--deployment", "support-triage"],
    "decide": [
        "--deployment",
        "d",
        "--week",
        "2026-W47",
        "--decision",
        "limit",
        "--rationale",
        "r",
        "--by",
        "b",
    ],
    "sample": ["--out", "o"],
    "prune": ["--before", "2026-01-01"],
    "status-key": ["list"],
    "notified": ["--deployment", "x"],
    "scope": ["sample", "--deployment", "x", "--week", "2026-W01"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("where", ["before", "after"])
def test_every_command_takes_the_global_options_on_either_side(command: str, where: str) -> None:
    options = ["--db", "x.duckdb", "--config", "y.toml", "--debug"]
    rest = [command, *REQUIRED.get(command, [])]
    argv = [*options, *rest] if where == "before" else [*rest, *options]
    args = build_parser(command).parse_args(argv)
    assert (args.db, args.config, args.debug) == ("x.duckdb", "y.toml", True)
    assert args.command == command and callable(args.run)  # its module registered its parser


def test_given_on_both_sides_the_one_after_the_command_wins() -> None:
    args = build_parser("check").parse_args(["--db", "a.duckdb", "check", "--db", "b.duckdb"])
    assert args.db == "b.duckdb" and args.config is None and args.debug is False


def test_dashboard_with_options_after_the_command_serves_that_database(
    workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`postlaunch dashboard --port 8599 --db X --config Y`: the server gets port 8599 and X and Y (absolute)."""
    started: list[tuple[list[str], dict[str, str]]] = []

    class Started(BaseException):  # stands in for the exec: the process would become Streamlit here
        pass

    def execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        started.append((argv, env))
        raise Started

    monkeypatch.setattr(os, "execve", execve)
    workspace.write("conf/y.toml", workspace.config.read_text())  # the dashboard reads its settings first
    with pytest.raises(Started):
        cli_main.main(["dashboard", "--port", "8599", "--db", "x.duckdb", "--config", "conf/y.toml"])
    ((argv, env),) = started
    assert argv[argv.index("--server.port") + 1] == "8599"
    assert env["POSTLAUNCH_DB"] == str(workspace.path / "x.duckdb")
    assert env["POSTLAUNCH_CONFIG"] == str(workspace.path / "conf" / "y.toml")


@pytest.fixture
def run(workspace, capsys):
    def go(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = cli_main.main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return go


def test_ingest_review_check_decide_and_quarantine_with_options_after_the_command(workspace, run) -> None:
    elsewhere = workspace.path / "elsewhere"
    elsewhere.mkdir()
    db, config = elsewhere / "org.duckdb", elsewhere / "registry.toml"
    config.write_text(workspace.config.read_text())
    workspace.config.unlink()  # nothing in the working directory to fall back on
    data = workspace.write("usage.csv", USAGE)
    where = ["--db", str(db), "--config", str(config)]

    code, out, err = run("ingest", "usage", str(data), *where)
    assert code == 0, err
    assert out.startswith(f"{data}: rows=150 loaded=150") and db.exists()
    assert not (workspace.path / "postlaunch.duckdb").exists()

    code, out, err = run("review", "--deployment", "support-triage", *where, "--week", "2026-W45")
    assert code == 0, err
    assert json.loads(out)["metrics"]["events"]["value"] == 150

    code, out, _ = run("check", "--json", *where, "--week", "2026-W45")
    doc = json.loads(out)
    assert code == doc["exit_code"] and {d["deployment"] for d in doc["deployments"]} == {
        "support-triage",
        "hr-assistant",
    }

    decide = ["decide", "--deployment", "support-triage", "--week", "2026-W45", "--decision", "continue"]
    code, out, err = run(*decide, "--rationale", "steady", "--by", "Head of Support", *where)
    assert code == 0 and out.startswith("recorded decision 1"), err
    code, out, _ = run("quarantine", *where)
    assert code == 0 and out.strip() == "no quarantined rows"


def test_debug_after_the_command_shows_the_traceback(workspace, run, monkeypatch: pytest.MonkeyPatch) -> None:
    import cli.commands.check as check

    def broken(args):  # noqa: ANN001, ANN202
        raise RuntimeError("boom")

    monkeypatch.setattr(check, "run", broken)
    code, _, err = run("check")
    assert code == 1 and "unexpected error: RuntimeError: boom" in err and "--debug" in err
    with pytest.raises(RuntimeError, match="boom"):
        cli_main.main(["check", "--debug"])


def test_an_unknown_option_after_the_command_is_still_a_usage_error(run) -> None:
    code, _, err = run("check", "--dbx", "x.duckdb")
    assert code == 2 and "unrecognized arguments: --dbx" in err


@pytest.mark.slow
def test_dashboard_subprocess_with_options_after_the_command(tmp_path: Path, workspace) -> None:
    """The real command line: the server (this PID, the command execs Streamlit) answers on the port and
    carries the database and registry given after the command."""
    from browser_env import free_port, stop, wait_healthy

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("POSTLAUNCH_")}
    env["HOME"] = str(tmp_path)
    db, config = workspace.path / "x.duckdb", workspace.config
    args = ["dashboard", "--port", str(port), "--db", str(db), "--config", str(config)]
    log = tmp_path / "dashboard.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
        served = dict(
            item.split("=", 1)
            for item in Path(f"/proc/{process.pid}/environ").read_text().split("\0")
            if "=" in item
        )
        assert served["POSTLAUNCH_DB"] == str(db) and served["POSTLAUNCH_CONFIG"] == str(config)
    finally:
        stop(process)
