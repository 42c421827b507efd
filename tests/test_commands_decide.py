"""`postlaunch decide` and `postlaunch verify` from the command line: a round trip, the refusals with
their exit codes and messages, and verify's exit 1 naming the first tampered record."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from commands_db import Org, clean_env

from postlaunch.access import os_user
from postlaunch.db import connect
from postlaunch.decisions import verify_chain

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Org:
    clean_env(monkeypatch)
    org = Org(tmp_path)
    for week in ("2026-W45", "2026-W46", "2026-W47"):
        org.usage("support-triage", week, 150)
        org.usage("hr-assistant", week, 120, use_case="policy_question")
    return org


DECIDE = [
    "decide",
    "--deployment",
    "support-triage",
    "--week",
    "2026-W47",
    "--decision",
    "limit",
    "--rationale",
    "out-of-scope use is growing",
    "--by",
    "Head of Support Operations",
]


def test_decide_then_verify(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert org.run(*DECIDE, "--attendees", "Governance lead", "Vendor", "--actions", "retrain") == 0
    out = capsys.readouterr().out
    assert re.match(
        r"recorded decision 1: support-triage 2026-W47 LIMIT by Head of Support Operations "
        rf"\(OS user {re.escape(os_user())}\); next review 2026-11-30; hash [0-9a-f]{{12}}…",
        out,
    ), out
    assert (
        org.run(
            "decide",
            "--deployment",
            "hr-assistant",
            "--week",
            "2026-W46",
            "--decision",
            "expand",
            "--rationale",
            "steady, liked",
            "--by",
            "HR Director",
            "--next-review",
            "2026-12-01",
        )
        == 0
    )
    capsys.readouterr()
    assert org.run("verify") == 0
    out = capsys.readouterr().out
    with connect(org.db, read_only=True) as conn:
        rows = conn.execute(
            "SELECT seq, deployment, week, decision, attendees, actions, next_review, snapshot, hash FROM decisions "
            "ORDER BY seq"
        ).fetchall()
    assert out == (
        f"decision log verified: 2 records, last hash {rows[1][8][:12]}…\n"
        "signatures:\n"
        "  2 by the command line (name as typed in --by, with the OS user who ran it)\n"
    )
    assert org.run("verify", "--signatures") == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        f"  record 1 (support-triage 2026-W47 limit): Head of Support Operations (--by; OS user {os_user()})",
        f"  record 2 (hr-assistant 2026-W46 expand): HR Director (--by; OS user {os_user()})",
    ]
    assert [r[:4] for r in rows] == [
        (1, "support-triage", "2026-W47", "limit"),
        (2, "hr-assistant", "2026-W46", "expand"),
    ]
    assert json.loads(rows[0][4]) == ["Governance lead", "Vendor"] and rows[0][5] == "retrain"
    assert str(rows[1][6]) == "2026-12-01"
    snapshot = json.loads(rows[0][7])
    assert snapshot["deployment"] == "support-triage" and snapshot["week"] == "2026-W47"
    assert snapshot["metrics"]["events"]["value"] == 150


@pytest.mark.parametrize(
    ("change", "code", "fragment"),
    [
        ({"--deployment": "nope"}, 2, "unknown deployment 'nope'; known: hr-assistant, support-triage"),
        ({"--week": "2026-47"}, 2, "expected YYYY-Www"),
        (
            {"--week": "2026-W40"},
            2,
            "week 2026-W40 cannot be reviewed for deployment 'support-triage': reviewable weeks are 2026-W41 "
            "(its launch or first record) to 2026-W47 (the latest week with data)",
        ),
        (
            {"--decision": "escalate"},
            2,
            "invalid choice: 'escalate' (choose from 'expand', 'continue', 'limit', 'pause', 'stop')",
        ),
        ({"--rationale": "   "}, 2, "the rationale is empty"),
        ({"--by": " "}, 2, "--by is empty"),
        (
            {"--next-review": "2026-11-21"},
            2,
            "next review 2026-11-21 must fall after the end of 2026-W47 (2026-11-22)",
        ),
        ({"--next-review": "30/11/2026"}, 2, "--next-review '30/11/2026' is not a date: expected YYYY-MM-DD"),
    ],
)
def test_decide_refusals(
    org: Org, capsys: pytest.CaptureFixture[str], change: dict[str, str], code: int, fragment: str
) -> None:
    argv = list(DECIDE)
    for flag, value in change.items():
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    try:
        got = org.run(*argv)
    except SystemExit as exc:  # argparse refuses a bad choice itself
        got = int(exc.code or 0)
    err = capsys.readouterr().err
    assert got == code
    assert fragment in err
    assert "Traceback" not in err
    with connect(org.db, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM decisions").fetchone() == (0,)


def test_decide_without_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env(monkeypatch)
    org = Org(tmp_path)
    assert org.run(*DECIDE) == 1
    assert "no database at" in capsys.readouterr().err
    assert not org.db.exists()


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        (
            "UPDATE decisions SET rationale = 'nothing to see' WHERE seq = 2",
            "record 2 (support-triage 2026-W47): content was edited — stored hash",
        ),
        (
            "UPDATE decisions SET snapshot = replace(snapshot, '\"value\":150,', '\"value\":15,') WHERE seq = 1",
            "record 1 (support-triage 2026-W47): content was edited",
        ),
        (
            "DELETE FROM decisions WHERE seq = 2",
            "record 3 follows record 1: record 2 is missing or the chain was cut",
        ),
        (
            "UPDATE decisions SET seq = 4 - seq WHERE seq IN (1, 3)",
            "record 1 (hr-assistant 2026-W47): out of order",
        ),
    ],
)
def test_verify_exits_1_naming_the_broken_record(
    org: Org, capsys: pytest.CaptureFixture[str], sql: str, fragment: str
) -> None:
    assert org.run(*DECIDE) == 0
    assert org.run(*DECIDE[:-4], "--rationale", "second look", "--by", "Governance lead", "--supersede") == 0
    assert (
        org.run(
            "decide",
            "--deployment",
            "hr-assistant",
            "--week",
            "2026-W47",
            "--decision",
            "continue",
            "--rationale",
            "fine",
            "--by",
            "HR Director",
        )
        == 0
    )
    with connect(org.db) as conn:
        conn.execute(sql)
    capsys.readouterr()
    assert org.run("verify") == 1
    out = capsys.readouterr().out
    assert out.startswith("decision log BROKEN: record ")
    assert fragment in out, out


def test_verify_without_a_database_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env(monkeypatch)
    assert Org(tmp_path).run("verify") == 1
    assert "no database at" in capsys.readouterr().err


def test_two_decide_commands_at_once_form_one_chain(org: Org) -> None:
    base = [
        sys.executable,
        "-m",
        "cli.main",
        "--db",
        str(org.db),
        "--config",
        str(org.config),
        "decide",
    ]
    procs = [
        subprocess.Popen(
            [
                *base,
                "--deployment",
                dep,
                "--week",
                "2026-W47",
                "--decision",
                "continue",
                "--rationale",
                f"steady ({dep})",
                "--by",
                who,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for dep, who in (("support-triage", "Head of Support Operations"), ("hr-assistant", "HR Director"))
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-1000:] for _, err in outs]
    assert sorted(out.split(":")[0] for out, _ in outs) == ["recorded decision 1", "recorded decision 2"]
    with connect(org.db, read_only=True) as conn:
        status = verify_chain(conn)
    assert status.ok and status.records == 2


def test_a_decision_under_a_changed_registry_records_the_policy_change(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    assert org.run(*DECIDE) == 0  # first state of the registry recorded
    text = org.config.read_text().replace('risk_tier = "high"', 'risk_tier = "medium"', 1)
    org.config.write_text(text)
    assert (
        org.run(
            *DECIDE[:-4], "--rationale", "a medium-risk tool now", "--by", "Governance lead", "--supersede"
        )
        == 0
    )
    with connect(org.db, read_only=True) as conn:
        rows = conn.execute("SELECT deployment, kind, summary, source FROM changes").fetchall()
    assert rows == [("support-triage", "policy", 'registry: risk_tier "high" -> "medium"', "registry")]


def test_a_second_decision_for_the_week_is_refused_without_supersede(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    assert org.run(*DECIDE) == 0
    capsys.readouterr()
    pause = [*DECIDE[:5], "--decision", "pause", "--rationale", "the incident", "--by", "Governance lead"]
    assert org.run(*pause) == 2
    err = capsys.readouterr().err
    assert "support-triage 2026-W47 already has decision #1: LIMIT by Head of Support Operations" in err
    assert "to replace it, decide again with --supersede" in err
    with connect(org.db, read_only=True) as conn:
        assert verify_chain(conn).records == 1


def test_supersede_chains_a_new_record_naming_the_one_it_replaces(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    assert org.run(*DECIDE) == 0
    pause = [*DECIDE[:5], "--decision", "pause", "--rationale", "the incident", "--by", "Governance lead"]
    capsys.readouterr()
    assert org.run(*pause, "--supersede") == 0
    assert capsys.readouterr().out.startswith(
        "recorded decision 2 (supersedes decision 1): support-triage 2026-W47 PAUSE"
    )
    # a third one supersedes the second, which is the one standing
    assert (
        org.run(*pause[:-4], "--rationale", "resolved; continue", "--by", "Governance lead", "--supersede")
        == 0
    )
    with connect(org.db, read_only=True) as conn:
        rows = conn.execute(
            "SELECT seq, decision, supersedes, prev_hash, hash FROM decisions ORDER BY seq"
        ).fetchall()
        status = verify_chain(conn)
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, "limit", None), (2, "pause", 1), (3, "pause", 2)]
    assert rows[1][3] == rows[0][4] and rows[2][3] == rows[1][4]
    assert status.ok and status.records == 3
    # the minutes show the standing decision, not blank lines
    capsys.readouterr()
    assert org.run("review", "--deployment", "support-triage", "--week", "2026-W47", "--format", "md") == 0
    minutes = capsys.readouterr().out
    decision = minutes.split("## Decision", 1)[1]
    assert "Recorded as decision #3, recorded " in decision and "(supersedes #2)" in decision
    assert "- Decision: PAUSE" in decision and "- Rationale: resolved; continue" in decision
    assert "- Decided by: Governance lead" in decision and "______" not in decision


def test_the_same_decision_again_adds_nothing_and_exits_0(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    assert org.run(*DECIDE) == 0
    capsys.readouterr()
    assert org.run(*DECIDE) == 0
    out = capsys.readouterr().out
    assert "already has decision #1" in out and "nothing was added" in out
    assert org.run(*DECIDE, "--supersede") == 0  # superseding with the same words changes nothing either
    with connect(org.db, read_only=True) as conn:
        assert verify_chain(conn).records == 1


def test_supersede_without_a_standing_decision_records_the_first(org: Org) -> None:
    assert org.run(*DECIDE, "--supersede") == 0
    with connect(org.db, read_only=True) as conn:
        assert conn.execute("SELECT seq, supersedes FROM decisions").fetchall() == [(1, None)]


def test_the_pack_and_the_minutes_without_a_decision_keep_blank_lines(
    org: Org, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert org.run("review", "--deployment", "support-triage", "--week", "2026-W47", "--format", "md") == 0
    assert "- Decision (expand | continue | limit | pause | stop): ______" in capsys.readouterr().out
    pack = tmp_path / "pack.html"
    review = ["review", "--deployment", "support-triage", "--week", "2026-W47", "--format", "html", "--out"]
    assert org.run(*review, str(pack)) == 0
    assert "Decision (for the minutes)" in pack.read_text()
    assert org.run(*DECIDE, "--actions", "retrain the L1 team by Friday") == 0
    assert org.run(*review, str(pack)) == 0
    html = pack.read_text()
    assert "Decision (for the minutes)" not in html
    section = html.split("<h2>Decision</h2>", 1)[1]
    assert "Recorded as decision #1, recorded" in section and "<td>LIMIT</td>" in section
    assert "<td>out-of-scope use is growing</td>" in section and "retrain the L1 team by Friday" in section
