"""`postlaunch review`: the JSON shape of DESIGN §9, the Markdown minutes (rendered from a review dict
worked out by hand), --out, the HTML pack's absence handled, and no streamlit/plotly in the commands."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from commands_db import Org, clean_env
from review_factory import make_review

from report.minutes import period_text, render_markdown

ROOT = Path(__file__).resolve().parents[1]
TOP_KEYS = {
    "deployment",
    "week",
    "period",
    "metrics",
    "alerts",
    "recommendation",
    "open_incidents",
    "out_of_scope_examples",
    "changes",
}
METRIC_KEYS = {"value", "n", "ci", "status", "warn", "critical", "direction", "previous", "category"}

REVIEW = make_review(
    metrics={
        "events": {"value": 1240, "n": 1240, "previous": 1100},
        "out_of_scope_share": {"value": 0.18, "n": 1240, "ci": [0.16, 0.2], "status": "critical",
                               "warn": 0.02, "critical": 0.05, "previous": 0.12},
        "acceptance_rate": {"value": 0.75, "n": 20, "ci": [0.53, 0.89], "status": "insufficient_data",
                            "warn": 0.8, "critical": 0.6},
        "cost_wow_change": {"value": 0.2345, "n": 3, "status": "ok", "warn": 0.3, "critical": 0.6,
                            "previous": -0.1},
    },
    new_use_cases=["refund_decision"],
    baseline_weeks=["2026-W32", "2026-W33", "2026-W34", "2026-W35"],
    deployment_info={
        "name": "Support ticket triage", "owner": "Head of Support Operations", "risk_tier": "high",
        "status": "active", "approved_use_cases": ["ticket_classification", "routing_suggestion"],
        "approved_teams": ["support-l1"], "max_data_class": "internal", "weekly_budget": None,
        "launched": "2026-06-01",
    },
    alerts=[
        {"metric": "out_of_scope_share", "level": "critical", "value": 0.18, "threshold": 0.05,
         "message": "out_of_scope_share 0.18 (n=1,240; 95% CI 0.16-0.20) above critical 0.05 — 3rd week in a row",
         "n": 1240, "ci": [0.16, 0.2], "weeks_in_a_row": 3, "since": "2026-W45", "category": "scope",
         "week": "2026-W47"}
    ],
    recommendation={
        "action": "pause",
        "reasons": [{"rule": 2, "action": "pause", "metric": "out_of_scope_share", "value": 0.18,
                     "threshold": 0.05, "week": "2026-W47",
                     "text": "critical scope alert this week: out_of_scope_share 0.18 above 0.05"}],
    },
    open_incidents=[
        {"incident_id": "INC-7", "severity": "high", "category": "privacy", "status": "open",
         "title": "Customer | data in a prompt", "opened_at": "2026-11-01T10:00:00Z", "serious": True,
         "aware_at": None, "deadline": "2026-11-16T10:00:00Z", "reported_at": None, "resolved_at": None,
         "open": True, "overdue": True, "days_to_deadline": -6.6}
    ],
    out_of_scope_examples=[
        {"use_case": "refund_decision", "source": "labelled", "events": 140,
         "examples": ["Should we refund order [NUMBER]?", "Refund  ORD-1?"]}
    ],
    changes=[
        {"ts": "2026-11-17T09:00:00Z", "kind": "model", "summary": "gpt-4o -> gpt-5", "changed_by": "ops",
         "approved_by": "CTO", "source": "file"}
    ],
)  # fmt: skip


def test_markdown_minutes_read_top_to_bottom() -> None:
    md = render_markdown(REVIEW)
    lines = md.splitlines()
    assert lines[0] == (
        "# Support ticket triage · 2026-W47 (16-22 Nov 2026) · risk HIGH · owner Head of Support Operations"
    )
    assert (
        "Approved: use cases ticket_classification, routing_suggestion · teams support-l1 · max data: internal"
        in md
    )
    assert "## Recommendation: PAUSE" in lines
    assert "- critical scope alert this week: out_of_scope_share 0.18 above 0.05" in lines
    assert (
        "| out_of_scope_share | 18% | n=1,240; 95% CI 16%–20% | **CRITICAL** | warn above 2.0%, crit above 5.0% "
        "| 12% |"
    ) in lines
    assert (
        "| acceptance_rate | 75% | n=20; 95% CI 53%–89% | too few data | warn below 80%, crit below 60% | — |"
        in lines
    )
    assert "| cost_wow_change | +23% | n=3 | ok | warn above +30%, crit above +60% | -10% |" in lines
    assert (
        "| INC-7 | high | open | 2026-11-01 | Customer \\| data in a prompt | yes | "
        "**OVERDUE by 6 days — not reported (deadline 2026-11-16)** |" in lines
    )
    i = lines.index("- `refund_decision` (140 events, labelled):")
    assert lines[i + 1 : i + 3] == ["  - “Should we refund order [NUMBER]?”", "  - “Refund ORD-1?”"]
    assert "- 2026-11-17 **model**: gpt-4o -> gpt-5 (by ops, approved by CTO)" in lines
    i = lines.index("Seen this week, absent from the baseline weeks 2026-W32 to 2026-W35:")
    assert lines[i + 1] == "- `refund_decision`"
    order = [
        md.index(h)
        for h in (
            "## Recommendation",
            "### Quality",
            "### Use",
            "### Scope",
            "### Cost",
            "## Alerts",
            "## Open incidents",
            "## Outside the approved use",
            "## Changes this week",
            "## New use cases",
            "## Decision",
        )
    ]
    assert order == sorted(order)
    assert md.endswith('--rationale "..." --by NAME`.\n')
    assert "postlaunch decide --deployment support-triage --week 2026-W47" in md


def test_markdown_of_an_empty_week() -> None:
    md = render_markdown(make_review())
    assert md.startswith("# Support ticket triage · 2026-W47 (16-22 Nov 2026) · risk HIGH")
    for line in (
        "None this week.",
        "None open at the week's end.",
        "No out-of-scope requests this week.",
        "No change recorded.",
        "- no reason given",
        "None: every use case of this week was seen in the baseline weeks.",
    ):
        assert line in md.splitlines()


@pytest.mark.parametrize(
    ("week", "expected"),
    [
        ("2026-W47", "16-22 Nov 2026"),
        ("2026-W49", "30 Nov-6 Dec 2026"),
        ("2026-W53", "28 Dec 2026-3 Jan 2027"),
    ],
)
def test_period_text(week: str, expected: str) -> None:
    assert period_text(make_review(week=week)) == expected


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Org:
    clean_env(monkeypatch)
    org = Org(tmp_path)
    for week, n in (("2026-W45", 300), ("2026-W46", 320), ("2026-W47", 340)):
        org.usage("support-triage", week, n, team="support-l1")
    org.usage("hr-assistant", "2026-W45", 200, use_case="policy_question")
    return org


def test_review_json_defaults_to_the_latest_week(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert org.run("review", "--deployment", "support-triage") == 0
    review = json.loads(capsys.readouterr().out)
    assert not TOP_KEYS - set(review)
    assert review["deployment"] == "support-triage" and review["week"] == "2026-W47"
    assert review["metrics"]["events"]["value"] == 340 and review["metrics"]["events"]["previous"] == 320
    assert all(not METRIC_KEYS - set(m) for m in review["metrics"].values())
    # hr-assistant's usage stopped after W45: its review defaults to the organization's current week
    assert org.run("review", "--deployment", "hr-assistant") == 0
    stopped = json.loads(capsys.readouterr().out)
    assert stopped["week"] == "2026-W47" and stopped["metrics"]["usage_feed_gap"]["value"] == 2


def test_review_json_is_the_documented_dump(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert org.run("review", "--deployment", "support-triage", "--week", "2026-W46") == 0
    out = capsys.readouterr().out
    assert out == json.dumps(json.loads(out), indent=2, ensure_ascii=False) + "\n"
    assert json.loads(out)["week"] == "2026-W46"


def test_review_md_to_a_file(org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "minutes" / "st.md"
    assert org.run("review", "--deployment", "support-triage", "--format", "md", "--out", str(target)) == 0
    assert capsys.readouterr().out == f"{target}\n"
    text = target.read_text()
    assert text.startswith("# Support ticket triage · 2026-W47 (16-22 Nov 2026) · risk HIGH")
    assert "Deployment `support-triage`" in text


def test_review_html(org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = org.run(
        "review", "--deployment", "support-triage", "--format", "html", "--out", str(tmp_path / "p.html")
    )
    if importlib.util.find_spec("report.pack") is None:
        assert code == 1
        assert "html review pack not available" in capsys.readouterr().err
    else:
        assert code == 0
        assert "<html" in (tmp_path / "p.html").read_text().lower()


@pytest.mark.parametrize(
    ("argv", "code", "fragment"),
    [
        (["--deployment", "nope"], 2, "unknown deployment 'nope'; known: hr-assistant, support-triage"),
        (["--deployment", "support-triage", "--week", "W47"], 2, "expected YYYY-Www"),
        (["--deployment", "support-triage", "--week", "2026-W30"], 1, "2026-W30"),
    ],
)
def test_review_refusals(
    org: Org, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, fragment: str
) -> None:
    assert org.run("review", *argv) == code
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_review_without_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env(monkeypatch)
    org = Org(tmp_path)
    assert org.run("review", "--deployment", "support-triage") == 1
    assert "no database at" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["review", "check", "decide", "verify"])
def test_command_modules_do_not_load_streamlit_or_plotly(module: str) -> None:
    code = (
        "import importlib, sys; "
        f"mod = importlib.import_module('cli.commands.{module}'); "
        "import metrics.api, report.minutes, metrics.evidence, postlaunch.decisions; "
        "bad = [m for m in ('streamlit', 'plotly') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr[-800:]
