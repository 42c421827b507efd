"""`postlaunch check` exit codes on databases built by hand: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
(no data for the week, no database, a bad argument) — the monitoring-plugin convention."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from commands_db import Org, clean_env

from cli.commands.check import overall_level

WEEK = "2026-W47"


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Org:
    clean_env(monkeypatch)
    return Org(tmp_path)


def healthy(org: Org, week: str = WEEK) -> None:
    org.usage("support-triage", week, 500, team="support-l1")
    org.usage("hr-assistant", week, 500, use_case="policy_question")


def test_ok(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    healthy(org)
    assert org.run("check", "--week", WEEK) == 0
    out = capsys.readouterr().out.splitlines()
    assert sorted(out) == [
        "OK hr-assistant 2026-W47 recommendation continue",
        "OK support-triage 2026-W47 recommendation continue",
    ]


def test_warning(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    # hr-assistant is low risk: error_rate warn 0.10, critical 0.25. 300 errors in 2,000 events = 0.15,
    # 95% Wilson CI 0.135-0.166: wholly above warn, wholly below critical.
    org.usage("support-triage", WEEK, 500, team="support-l1")
    org.usage("hr-assistant", WEEK, 1700, use_case="policy_question")
    org.usage("hr-assistant", WEEK, 300, use_case="policy_question", outcome="error")
    assert org.run("check") == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("WARNING hr-assistant 2026-W47 error_rate 0.15") for line in out), out
    assert "WARNING hr-assistant 2026-W47 recommendation continue" in out
    assert "OK support-triage 2026-W47 recommendation continue" in out


def test_critical_wins_over_warning(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    # support-triage is high risk: out_of_scope_share critical 0.05. 400 of 1,000 events off-label.
    org.usage("support-triage", WEEK, 600, team="support-l1")
    org.usage("support-triage", WEEK, 400, team="support-l1", use_case="refund_decision")
    org.usage("hr-assistant", WEEK, 1700, use_case="policy_question")
    org.usage("hr-assistant", WEEK, 300, use_case="policy_question", outcome="error")
    assert org.run("check", "--week", WEEK) == 2
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("CRITICAL support-triage 2026-W47 out_of_scope_share 0.4") for line in out), (
        out
    )
    assert "CRITICAL support-triage 2026-W47 recommendation pause" in out
    # --deployment narrows it to one
    assert org.run("check", "--deployment", "hr-assistant") == 1


def test_json_document(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    org.usage("support-triage", WEEK, 600, team="support-l1")
    org.usage("support-triage", WEEK, 400, team="support-l1", use_case="refund_decision")
    org.usage("hr-assistant", WEEK, 500, use_case="policy_question")
    assert org.run("check", "--json") == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["week"] == WEEK and doc["level"] == "critical" and doc["exit_code"] == 2
    levels = {d["deployment"]: d["level"] for d in doc["deployments"]}
    assert levels == {"support-triage": "critical", "hr-assistant": "ok"}


def test_a_week_after_the_feed_stopped_warns(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    healthy(org, "2026-W46")
    assert org.run("check", "--week", WEEK) == 1
    out = capsys.readouterr().out
    assert "WARNING support-triage 2026-W47 usage_feed_gap 1 at or above warn 1 — 1st week" in out
    assert "UNKNOWN" not in out


def test_unknown_when_one_deployment_lacks_data_and_the_rest_is_ok(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    org.usage("support-triage", WEEK, 500, team="support-l1")
    assert org.run("check", "--week", WEEK) == 3
    assert "UNKNOWN hr-assistant 2026-W47" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["check"], "no database at"),
        (["check", "--week", "2026-47"], "expected YYYY-Www"),
        (["check", "--deployment", "nope"], "unknown deployment 'nope'"),
    ],
)
def test_errors_are_unknown(
    org: Org, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    if argv != ["check"]:
        healthy(org)
    assert org.run(*argv) == 3
    captured = capsys.readouterr()
    assert captured.out.startswith("UNKNOWN postlaunch check:") and fragment in captured.out
    assert "Traceback" not in captured.err


def test_errors_as_json(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert org.run("check", "--json") == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["level"] == "unknown" and doc["exit_code"] == 3 and "no database at" in doc["error"]


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([], "unknown"),
        (["ok", "ok"], "ok"),
        (["ok", "unknown"], "unknown"),
        (["unknown", "warn"], "warn"),
        (["critical", "unknown", "warn"], "critical"),
        (["ok", "bogus"], "unknown"),
    ],
)
def test_overall_level(levels: list[str], expected: str) -> None:
    assert overall_level(levels) == expected
