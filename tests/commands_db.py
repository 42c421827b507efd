"""Test helper for the command tests: a registry file and a database built by hand, row by row kind,
with SQL (no ingest), so each case knows exactly which numbers the week holds."""

from __future__ import annotations

import json
import os
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from cli.main import main
from postlaunch import rollup
from postlaunch.db import connect

REGISTRY = """
[deployments.support-triage]
name = "Support ticket triage"
owner = "Head of Support Operations"
risk_tier = "high"
launched = 2026-10-05
approved_use_cases = ["ticket_classification", "routing_suggestion"]
approved_teams = ["support-l1"]

[deployments.hr-assistant]
name = "HR policy assistant"
owner = "HR Director"
risk_tier = "low"
launched = 2026-10-05
approved_use_cases = ["policy_question"]
"""


def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's POSTLAUNCH_ settings out of the test."""
    for key in [k for k in os.environ if k.upper().startswith("POSTLAUNCH_")]:
        monkeypatch.delenv(key)


class Org:
    """A registry file and a database in a tmp folder, filled week by week."""

    def __init__(self, folder: Path, registry: str = REGISTRY) -> None:
        self.config = folder / "postlaunch.toml"
        self.config.write_text(registry)
        self.db = folder / "org.duckdb"
        self._next = 0

    def usage(
        self,
        deployment: str,
        week: str,
        n: int,
        *,
        use_case: str | None = "ticket_classification",
        outcome: str = "ok",
        team: str | None = None,
        users: int = 20,
    ) -> None:
        """`n` events spread over the week, all with the same use case, outcome and team."""
        monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
        start = datetime.combine(monday, datetime.min.time()) + timedelta(hours=1)
        with connect(self.db) as conn:
            conn.execute(
                """
                INSERT INTO usage_events (identity, content_hash, ts, deployment, user_id, team, use_case,
                                          outcome, requests, run_id, line)
                SELECT ($base + i)::UHUGEINT, ($base + i)::UHUGEINT,
                       $start::TIMESTAMP + to_seconds((i * 500)::BIGINT % 590000),
                       $dep, 'u' || (i % $users)::VARCHAR, $team, $uc, $outcome, 1, 'test', i
                FROM range($n) t(i)
                """,
                {
                    "base": self._next,
                    "start": start,
                    "dep": deployment,
                    "users": users,
                    "team": team,
                    "uc": use_case,
                    "outcome": outcome,
                    "n": n,
                },
            )
            rollup.rebuild(conn, "UTC")  # as an ingest would keep it current
        self._next += n

    def run(self, *argv: str) -> int:
        return main(["--db", str(self.db), "--config", str(self.config), *argv])


ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
KINDS = ("usage", "cost", "feedback", "incidents", "changes", "training", "readiness")


def sample_deployments() -> list[str]:
    config = SAMPLE / "postlaunch.toml"
    if not config.exists():
        return []
    return sorted(tomllib.loads(config.read_text())["deployments"])


class Sample:
    """The committed sample (`sample_data/`), ingested with `postlaunch ingest` into a tmp database."""

    def __init__(self, folder: Path) -> None:
        self.db = folder / "sample.duckdb"
        self.config = SAMPLE / "postlaunch.toml"
        for kind in KINDS:
            files = sorted(str(p) for p in SAMPLE.iterdir() if p.name.startswith(kind) and p.is_file())
            assert files, f"sample_data has no file starting with {kind!r}"
            code = main(["--db", str(self.db), "--config", str(self.config), "ingest", kind, *files])
            assert code == 0, f"ingest {kind} {files} exited {code}"

    def run(self, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(self.db), "--config", str(self.config), *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    def review(self, capsys: pytest.CaptureFixture[str], deployment: str, week: str) -> dict:
        code, out, err = self.run(
            capsys, "review", "--deployment", deployment, "--format", "json", "--week", week
        )
        assert code == 0, err
        return dict(json.loads(out))


def ingested_sample(factory: pytest.TempPathFactory) -> Sample:
    """The committed sample ingested into a fresh folder; call it with the environment cleaned (`clean_env`)."""
    assert sample_deployments(), "sample_data/postlaunch.toml lists no deployment"
    return Sample(factory.mktemp("sample"))
