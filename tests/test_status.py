"""The operating status apps read (DESIGN §14), through the command line: `postlaunch status` in its
three formats, the flagd flag file read by the real OpenFeature flagd provider (FILE mode), the status
file rewritten by every decision, API keys, pause rights, the notify checklist and return criteria."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from commands_db import REGISTRY as COMMANDS_REGISTRY
from commands_db import Org, clean_env

from postlaunch.db import connect

RUNBOOK = """
[deployments.support-triage.runbook]
may_pause = ["Head of Support Operations", "AI Governance Lead"]
fallback = "Agents triage tickets by hand"
safe_state = "The triage panel is hidden"
return_criteria = ["Out-of-scope share below 2% in a checked sample", "Agents re-briefed"]
notify = ["Model provider", "Support team leads"]
"""
REGISTRY = COMMANDS_REGISTRY + RUNBOOK
FLAG = "postlaunch.support-triage.mode"


@pytest.fixture()
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Org:
    clean_env(monkeypatch)
    o = Org(tmp_path, REGISTRY)
    o.usage("support-triage", "2026-W46", 150)
    o.usage("hr-assistant", "2026-W46", 150, use_case="policy_question")
    return o


def run(org: Org, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = org.run(*argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def decide(org: Org, capsys: pytest.CaptureFixture[str], decision: str, by: str = "Head of Support Operations",
           *extra: str) -> tuple[int, str, str]:  # fmt: skip
    return run(org, capsys, "decide", "--deployment", "support-triage", "--week", "2026-W46", "--decision",
               decision, "--rationale", f"{decision} for the test", "--by", by, *extra)  # fmt: skip


@pytest.fixture()
def flagd_client() -> Iterator[object]:
    """An OpenFeature client factory over the real flagd provider in FILE mode (polls every 0.5 s)."""
    from openfeature import api
    from openfeature.contrib.provider.flagd import FlagdProvider
    from openfeature.contrib.provider.flagd.config import ResolverType
    from openfeature.provider import ProviderStatus

    providers = []

    def make(path: Path) -> object:
        provider = FlagdProvider(
            resolver_type=ResolverType.FILE, offline_flag_source_path=str(path), deadline_ms=500
        )
        providers.append(provider)
        api.set_provider(provider, domain=str(path))
        client = api.get_client(domain=str(path))
        deadline = time.monotonic() + 10
        while client.get_provider_status() != ProviderStatus.READY:  # it initializes on its own thread
            assert time.monotonic() < deadline, (
                f"the flagd provider never got ready: {client.get_provider_status()}"
            )
            time.sleep(0.05)
        return client

    yield make
    for provider in providers:
        provider.shutdown()


def test_flagd_format_is_the_design_file_and_the_flagd_provider_reads_it(
    org: Org, capsys: pytest.CaptureFixture[str], tmp_path: Path, flagd_client
) -> None:
    path = tmp_path / "flags.json"
    code, out, err = run(org, capsys, "status", "--format", "flagd", "--out", str(path))
    assert code == 0, err
    assert out.strip() == str(path)
    doc = json.loads(path.read_text())
    assert doc["$schema"] == "https://flagd.dev/schema/v0/flags.json"
    assert sorted(doc["flags"]) == ["postlaunch.hr-assistant.mode", FLAG]
    flag = doc["flags"][FLAG]
    assert flag["state"] == "ENABLED" and flag["defaultVariant"] == "normal"
    assert flag["variants"] == {m: m for m in ("normal", "limited", "paused", "stopped")}
    assert flag["metadata"] == {
        "reason": "registry status active (no decision recorded)",
        "failMode": "closed",
    }
    assert doc["flags"]["postlaunch.hr-assistant.mode"]["metadata"]["failMode"] == "open"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".flags.json")] == []  # no temp left
    client = flagd_client(path)
    details = client.get_string_details(FLAG, "unknown")  # type: ignore[attr-defined]
    assert details.value == "normal" and details.error_code is None
    assert details.flag_metadata["failMode"] == "closed"


def test_the_flagd_provider_sees_paused_within_10_s_of_decide(
    org: Org, capsys: pytest.CaptureFixture[str], tmp_path: Path, flagd_client
) -> None:
    path = tmp_path / "status" / "flags.json"
    assert run(org, capsys, "status", "--format", "flagd", "--out", str(path))[0] == 0
    client = flagd_client(path)
    assert client.get_string_value(FLAG, "unknown") == "normal"  # type: ignore[attr-defined]
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("POSTLAUNCH_")}
    env["POSTLAUNCH_STATUS_FILE"] = str(path)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "--db", str(org.db), "--config", str(org.config), "decide",
         "--deployment", "support-triage", "--week", "2026-W46", "--decision", "pause",
         "--rationale", "drift into replies", "--by", "Head of Support Operations"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"status file {path} rewritten" in done.stdout
    seen = None
    while time.monotonic() - started < 10:
        details = client.get_string_details(FLAG, "unknown")  # type: ignore[attr-defined]
        if details.value == "paused":
            seen = time.monotonic() - started
            break
        time.sleep(0.1)
    assert seen is not None, "the flagd provider did not see paused within 10 s of postlaunch decide"
    print(f"the flagd provider read paused {seen:.1f} s after `postlaunch decide` started")
    assert details.flag_metadata["decidedBy"] == "Head of Support Operations"
    assert details.flag_metadata["decisionId"] == 1
    assert client.get_string_value("postlaunch.hr-assistant.mode", "unknown") == "normal"  # type: ignore[attr-defined]


def test_status_text_and_json(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert decide(org, capsys, "limit")[0] == 0
    code, out, _ = run(org, capsys, "status")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["hr-assistant", "normal"]
    assert (
        lines[1].split()[:2] == ["support-triage", "limited"]
        and "decision 1 (limit for 2026-W46)" in lines[1]
    )
    code, out, _ = run(org, capsys, "status", "--format", "json", "--deployment", "support-triage")
    (row,) = json.loads(out)
    assert row["mode"] == "limited" and row["decision_id"] == 1 and row["fail_mode"] == "closed"
    assert run(org, capsys, "status", "--deployment", "nope")[0] == 2


def test_pause_needs_the_right_and_shows_the_runbook(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = decide(org, capsys, "pause", "Intern")
    assert code == 1  # refused: nothing recorded
    assert err.startswith("postlaunch decide: Intern (OS user ")  # the typed name and who typed it
    assert "may not pause support-triage: its runbook's may_pause names Head of Support Operations" in err
    assert decide(org, capsys, "stop", "Intern")[0] == 1
    code, out, err = decide(org, capsys, "pause", "ai governance lead")  # names compare without case
    assert code == 0, err
    assert (
        "fallback: Agents triage tickets by hand" in out and "safe state: The triage panel is hidden" in out
    )
    assert "  [ ] Model provider" in out and "  [ ] Support team leads" in out
    with connect(org.db, read_only=True) as conn:
        (runbook,) = conn.execute("SELECT runbook FROM decisions").fetchone()
    assert json.loads(runbook)["notify"] == ["Model provider", "Support team leads"]


def test_notify_checklist_ticks_are_chained_into_the_log(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(org, capsys, "notified", "--deployment", "support-triage")[0] == 2  # nothing paused yet
    assert decide(org, capsys, "pause")[0] == 0
    code, out, _ = run(
        org, capsys, "notified", "--deployment", "support-triage", "--who", "Model provider", "--by", "Ann"
    )
    assert code == 0 and out.startswith("ticked Model provider as told of decision 1, by Ann at ")
    assert "[x] Model provider — told, ticked by Ann" in out and "[ ] Support team leads" in out
    code, _, err = run(
        org, capsys, "notified", "--deployment", "support-triage", "--who", "Model provider", "--by", "Bo"
    )
    assert code == 2 and "already ticked as told by Ann" in err
    code, _, err = run(
        org, capsys, "notified", "--deployment", "support-triage", "--who", "The press", "--by", "Bo"
    )
    assert (
        code == 2
        and "'The press' is not on the notify list of decision 1: Model provider, Support team leads" in err
    )
    code, out, _ = run(org, capsys, "verify")
    assert code == 0 and "decision follow-ups verified: 1 record\n" in out
    with connect(org.db) as conn:
        conn.execute("UPDATE decision_followups SET recorded_by = 'Someone else'")
    code, out, _ = run(org, capsys, "verify")
    assert code == 1 and "follow-up 1 (decision 1, Model provider): content was edited" in out


def test_return_to_normal_records_the_criteria_checked(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert decide(org, capsys, "pause")[0] == 0
    code, _, err = decide(org, capsys, "continue", "Head of Support Operations")
    assert code == 2
    assert "support-triage is paused since decision 1 (pause for 2026-W46)" in err
    assert "1) Out-of-scope share below 2% in a checked sample; 2) Agents re-briefed" in err
    # a partial return needs no criteria (on a high-tier deployment it waits for a second signature)
    code, out, err = decide(org, capsys, "limit", "Head of Support Operations", "--supersede")
    assert code == 0 and out.startswith("NOT YET RECORDED") and "return criteria" not in out, err
    assert decide(org, capsys, "stop", "Head of Support Operations", "--supersede")[0] == 0
    code, out, err = decide(
        org, capsys, "continue", "Head of Support Operations", "--return-criteria-checked", "--supersede"
    )
    assert code == 0, err
    assert out.startswith("NOT YET RECORDED")  # high tier: a return to service needs a second person
    proposal = out.split("postlaunch countersign ")[1].split()[0]
    code, out, err = run(org, capsys, "countersign", proposal, "--by", "AI Governance Lead")
    assert code == 0 and "CONTINUE by Head of Support Operations, countersigned by AI Governance Lead" in out
    with connect(org.db, read_only=True) as conn:
        rows = conn.execute("SELECT decision, return_criteria FROM decisions ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == ["pause", "stop", "continue"]
    assert [r[1] is None for r in rows] == [True, True, False]
    checked = json.loads(rows[-1][1])
    assert checked["after"] == 2 and checked["mode"] == "stopped"
    assert checked["checked_by"].startswith("Head of Support Operations")
    assert checked["criteria"] == ["Out-of-scope share below 2% in a checked sample", "Agents re-briefed"]
    assert run(org, capsys, "verify")[0] == 0


def test_status_keys_are_shown_once_and_stored_as_a_hash(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        org, capsys, "status-key", "create", "--deployment", "support-triage", "--label", "triage app"
    )
    assert code == 0, err
    key = out.splitlines()[-1]
    assert key.startswith("plst_") and " " not in key and len(key) > 40
    key_id = key.split("_")[1]
    code, out, _ = run(org, capsys, "status-key", "create", "--deployment", "*", "--by", "Ops")
    every = out.splitlines()[-1]
    assert "for every deployment by Ops" in out
    code, out, _ = run(org, capsys, "status-key", "list")
    assert (
        key not in out
        and every not in out
        and f"{key_id}  support-triage  active" in out
        and "triage app" in out
    )
    with connect(org.db, read_only=True) as conn:
        stored = conn.execute("SELECT * FROM status_keys").fetchall()
    assert not any(key in str(v) or key.split("_", 2)[2] in str(v) for row in stored for v in row)
    code, out, _ = run(org, capsys, "status-key", "revoke", key_id, "--by", "Ops")
    assert code == 0 and f"revoked status key {key_id} (support-triage) by Ops" in out
    code, _, err = run(org, capsys, "status-key", "revoke", key_id)
    assert code == 2 and f"status key {key_id} was already revoked by Ops" in err
    code, _, err = run(org, capsys, "status-key", "revoke", "deadbeef")
    assert code == 2 and "no status key 'deadbeef'" in err
    code, _, err = run(org, capsys, "status-key", "create", "--deployment", "nope")
    assert code == 2 and "unknown deployment 'nope'" in err


def test_check_raises_a_pause_the_app_has_not_read_after_pause_ack_minutes(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    from actions.decide import record_decision
    from postlaunch.access import cli_user
    from postlaunch.config import load_context

    ctx = load_context(org.config, org.db)
    with connect(org.db) as conn:
        record_decision(conn, ctx, deployment="support-triage", week="2026-W46", decision="pause", rationale="r",
                        identity=cli_user("Head of Support Operations"), now=datetime.now(UTC) - timedelta(minutes=20))  # fmt: skip
    code, out, _ = run(org, capsys, "check")
    assert code == 2
    line = out.splitlines()[0]
    assert line.startswith("CRITICAL support-triage pause decided ")
    assert (
        "not yet observed by the app for 20 min (alert after 15 min): the paused mode is not in effect"
        in line
    )
    code, out, _ = run(org, capsys, "check", "--json")
    assert code == 2 and json.loads(out)["not_observed"] == [line.removeprefix("CRITICAL ")]
    os.environ["POSTLAUNCH_PAUSE_ACK_MINUTES"] = "30"
    try:
        code, out, _ = run(org, capsys, "check")
    finally:
        del os.environ["POSTLAUNCH_PAUSE_ACK_MINUTES"]
    assert "not yet observed" not in out


def test_check_warns_two_days_before_a_reporting_deadline(
    org: Org, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # aware Mon 2 Nov 10:00 + 15 days = Tue 17 Nov 10:00: 1.4 days after the end of 2026-W46 (Mon 16 Nov)
    path = tmp_path / "inc.csv"
    path.write_text(
        "incident_id,opened_at,deployment,severity,serious,aware_at,serious_kind\n"
        "INC-5,2026-11-01T09:00:00Z,support-triage,high,true,2026-11-02T10:00:00Z,other\n"
    )
    assert run(org, capsys, "ingest", "incidents", str(path))[0] == 0
    code, out, _ = run(org, capsys, "check", "--deployment", "support-triage", "--week", "2026-W46")
    assert "WARNING support-triage 2026-W46 serious_incidents_due_soon 1 at or above warn 1 — 1st week" in out
    code, out, _ = run(org, capsys, "review", "--deployment", "support-triage", "--week", "2026-W46")
    (inc,) = json.loads(out)["open_incidents"]
    assert inc["due_soon"] and inc["deadline_days"] == 15 and inc["days_to_deadline"] == 1.4


def test_a_status_file_that_cannot_be_written_is_reported_after_the_decision(
    org: Org, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("POSTLAUNCH_STATUS_FILE", str(blocker / "flags.json"))
    code, _, err = decide(org, capsys, "pause")
    assert code == 1
    assert (
        "decision 1 is recorded, but the status file" in err
        and "postlaunch status --format flagd --out" in err
    )
    with connect(org.db, read_only=True) as conn:
        assert conn.execute("SELECT decision FROM decisions").fetchall() == [("pause",)]
