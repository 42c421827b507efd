"""Shared fixtures: every test runs without the developer's POSTLAUNCH_* environment, and `workspace`
gives it a tmp folder (made the working directory) with its own postlaunch.toml and database, so
./postlaunch.toml and ./postlaunch.duckdb of the developer are never read or written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from postlaunch.config import Context, load_context

REPO = Path(__file__).resolve().parents[1]

REGISTRY_TOML = """
[deployments.support-triage]
name = "Support ticket triage"
owner = "Head of Support Operations"
risk_tier = "high"
launched = 2026-06-01
approved_use_cases = ["ticket_classification", "routing_suggestion"]
approved_teams = ["support-l1", "support-l2"]
weekly_budget = 1500.0

[deployments.hr-assistant]
name = "HR policy assistant"
owner = "HR Operations"
risk_tier = "low"
launched = 2026-06-01
approved_use_cases = ["policy_question"]
"""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--spark", action="store_true", help="run the Spark tests (CI runs them always)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Spark tests start a JVM and take minutes: they run with --spark (make test-spark) or under CI."""
    if config.getoption("--spark") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="a Spark test: run with `make test-spark` (pytest --spark); CI runs it")
    for item in items:
        if "spark" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A local[2] Spark session for the module's tests (skipped, or under CI failed, without pyspark/Java)."""
    from spark_env import require_spark

    require_spark()
    from ingest.spark.session import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _no_postlaunch_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.upper().startswith("POSTLAUNCH_"):
            monkeypatch.delenv(key)


@dataclass
class Workspace:
    path: Path
    config: Path
    db: Path

    def write(self, name: str, content: str | bytes) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")
        return target

    def settings(self, text: str) -> None:
        """Put top-level settings (TOML lines) above the registry."""
        self.config.write_text(text + "\n" + REGISTRY_TOML, encoding="utf-8")

    def ctx(self) -> Context:
        return load_context(self.config, self.db)

    def argv(self, *args: str) -> list[str]:
        return ["--db", str(self.db), "--config", str(self.config), *args]

    def cli_command(self, *args: str) -> list[str]:
        """A subprocess command line running `postlaunch` (only its ingest command) on this workspace."""
        return [sys.executable, "-c", CLI_SNIPPET, *self.argv(*args)]


# Runs postlaunch's real main() with only the ingest command registered, so a subprocess does not
# depend on the other commands being importable.
CLI_SNIPPET = "import sys, cli.main as c; c.COMMANDS = {'ingest': 'ingest'}; sys.exit(c.main(sys.argv[1:]))"


@pytest.fixture
def registry_toml() -> str:
    return REGISTRY_TOML


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "postlaunch.toml"
    config.write_text(REGISTRY_TOML, encoding="utf-8")
    return Workspace(tmp_path, config, tmp_path / "test.duckdb")


@dataclass
class CliResult:
    rc: int
    out: str
    err: str

    def objects(self) -> list[dict]:
        import json

        return [json.loads(line) for line in self.out.splitlines() if line.startswith("{")]


@pytest.fixture
def ingest_cli(workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run `postlaunch ... ARGS` in-process on the workspace: returns CliResult(rc, out, err)."""
    import cli.main

    monkeypatch.setattr(cli.main, "COMMANDS", {"ingest": "ingest"})

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            rc = cli.main.main(workspace.argv(*args))
        except SystemExit as exc:  # argparse errors
            rc = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(rc, captured.out, captured.err)

    return run
