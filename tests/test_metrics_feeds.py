"""What a new user hit (issue 10, DESIGN §19), on the metrics side: a deployment with cost but no usage
logs is reviewable; a week after the usage feed stopped is reviewable and raises `usage_feed_gap`
(warn at the first such week, critical at the second) in the review, `check` and the Portfolio; tokens
without a cost are costed at the settings' prices, a model without a price is named, never guessed;
and a kind never loaded says so in words."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from commands_db import REGISTRY, Org, clean_env
from review_factory import make_review
from shared_data import shared_file

from metrics import api
from postlaunch.config import load_context
from postlaunch.db import connect
from report import layout, minutes, pack

FOCUS = shared_file("focus/focus_sample_1.0.csv")
CLOUD_BILL = """
[deployments.cloud-bill]
name = "Bought AI subscription"
owner = "IT Procurement"
risk_tier = "low"
launched = 2024-08-01
weekly_budget = 2000.0
approved_use_cases = ["writing_help"]
"""


def review(org: Org, capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert org.run("review", *argv) == 0, capsys.readouterr().err
    return dict(json.loads(capsys.readouterr().out))


def test_a_cost_only_deployment_has_its_weekly_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The FOCUS 1.0 sample loaded with --deployment: cost_total per week equals the summed BilledCost by
    the ISO week of ChargePeriodStart (computed here with Decimal from the file itself)."""
    clean_env(monkeypatch)
    org = Org(tmp_path, registry=CLOUD_BILL)
    assert org.run("ingest", "focus", str(FOCUS), "--deployment", "cloud-bill") == 0
    capsys.readouterr()
    expected: dict[str, Decimal] = defaultdict(Decimal)
    with FOCUS.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            year, week, _ = dt.date.fromisoformat(row["ChargePeriodStart"][:10]).isocalendar()
            expected[f"{year}-W{week:02d}"] += Decimal(row["BilledCost"])
    assert sorted(expected) == ["2024-W35", "2024-W36", "2024-W37", "2024-W38", "2024-W39", "2024-W40"]
    latest = review(org, capsys, "--deployment", "cloud-bill")
    assert latest["week"] == "2024-W40"  # the default: the latest week with a record
    for week, amount in expected.items():
        got = review(org, capsys, "--deployment", "cloud-bill", "--week", week)
        cost = got["metrics"]["cost_total"]
        assert cost["value"] == pytest.approx(float(amount), abs=1e-6), week
        assert got["metrics"]["budget_burn"]["value"] == pytest.approx(float(amount) / 2000.0, abs=1e-9)
        assert got["metrics"]["events"]["value"] == 0
        assert got["metrics"]["error_rate"]["status"] == "insufficient_data"
        assert got["metrics"]["usage_feed_gap"]["value"] is None  # never had usage: not a gap
        assert list(got["feeds"]) == ["cost"]
    assert org.run("check") in (0, 1, 2)  # judged on its cost, not UNKNOWN
    assert "UNKNOWN cloud-bill" not in capsys.readouterr().out


@pytest.fixture
def stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Org:
    """support-triage's usage export stopped after W45; hr-assistant's runs to W47."""
    clean_env(monkeypatch)
    org = Org(tmp_path)
    for week in ("2026-W42", "2026-W43", "2026-W44", "2026-W45"):
        org.usage("support-triage", week, 300, team="support-l1")
    for week in ("2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47"):
        org.usage("hr-assistant", week, 200, use_case="policy_question")
    return org


@pytest.mark.parametrize(
    ("week", "gap", "status"), [("2026-W45", 0, "ok"), ("2026-W46", 1, "warn"), ("2026-W47", 2, "critical")]
)
def test_weeks_after_the_feed_stopped_are_reviewable_and_alert(
    stopped: Org, capsys: pytest.CaptureFixture[str], week: str, gap: int, status: str
) -> None:
    got = review(stopped, capsys, "--deployment", "support-triage", "--week", week)
    metric = got["metrics"]["usage_feed_gap"]
    assert (metric["value"], metric["status"]) == (gap, status)
    alerts = [a for a in got["alerts"] if a["metric"] == "usage_feed_gap"]
    if status == "ok":
        assert alerts == []
    else:
        (alert,) = alerts
        assert alert["level"] == status and alert["category"] == "use"
        assert alert["message"].startswith(
            f"usage_feed_gap {gap} at or above {status} {1 if gap == 1 else 2}"
        )
    assert got["feeds"]["usage"] == {"first_week": "2026-W42", "last_week": "2026-W45"}


def test_check_and_the_portfolio_show_the_gap(stopped: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert stopped.run("check") == 2
    out = capsys.readouterr().out
    assert "CRITICAL support-triage 2026-W47 usage_feed_gap 2 at or above critical 2 — 1st week" in out
    assert "UNKNOWN" not in out
    latest = review(stopped, capsys, "--deployment", "support-triage")
    assert latest["week"] == "2026-W47"  # the default is the organization's current week
    ctx = load_context(stopped.config, stopped.db)
    with connect(ctx.db, read_only=True) as conn:
        rows = {r.deployment: r for r in api.portfolio(conn, ctx)}
        assert api.available_weeks(conn, ctx, "support-triage")[-1] == "2026-W47"
    assert rows["support-triage"].usage_feed_gap == 2 and rows["support-triage"].level == "critical"
    assert rows["hr-assistant"].usage_feed_gap == 0


def test_a_paused_deployment_raises_no_gap(stopped: Org, capsys: pytest.CaptureFixture[str]) -> None:
    stopped.config.write_text(
        REGISTRY.replace('risk_tier = "high"', 'risk_tier = "high"\nstatus = "paused"', 1)
    )
    got = review(stopped, capsys, "--deployment", "support-triage", "--week", "2026-W47")
    assert got["metrics"]["usage_feed_gap"]["value"] == 2
    assert got["metrics"]["usage_feed_gap"]["status"] == "no_threshold"


def test_weeks_outside_launch_to_the_current_week_are_refused(
    stopped: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stopped.run("review", "--deployment", "support-triage", "--week", "2026-W39") == 1
    assert (
        "week 2026-W39 cannot be reviewed for deployment 'support-triage': reviewable weeks are 2026-W41 "
        "(its launch or first record) to 2026-W47 (the latest week with data)"
    ) in capsys.readouterr().err
    assert (
        stopped.run("review", "--deployment", "support-triage", "--week", "2026-W41") == 0
    )  # launched 5 Oct


PRICED = """
prices."gpt-4o-mini" = { input_per_million = 0.15, output_per_million = 0.60 }
[deployments.hr-assistant]
name = "HR policy assistant"
owner = "HR Operations"
risk_tier = "low"
launched = 2026-06-01
weekly_budget = 1.0
approved_use_cases = ["policy_question"]
"""


def test_tokens_without_a_cost_are_costed_at_the_prices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env(monkeypatch)
    org = Org(tmp_path, registry=PRICED)
    usage = tmp_path / "tokens.csv"
    lines = ["timestamp,deployment,user_id,model,input_tokens,output_tokens,use_case"]
    lines += [
        f"2026-11-{9 + i % 7:02d}T10:00:00Z,hr-assistant,u{i},gpt-4o-mini,1000,500,policy_question"
        for i in range(1000)
    ]
    lines += [
        f"2026-11-{9 + i % 7:02d}T11:00:00Z,hr-assistant,v{i},house-model,2000,100,policy_question"
        for i in range(40)
    ]
    usage.write_text("\n".join(lines) + "\n")
    assert org.run("ingest", "usage", str(usage)) == 0
    capsys.readouterr()
    got = review(org, capsys, "--deployment", "hr-assistant", "--week", "2026-W46")
    cost = got["metrics"]["cost_total"]
    # 1,000 rows x (1,000 x 0.15 + 500 x 0.60) / 1e6 = 0.45; house-model has no price: named, not guessed
    assert cost["value"] == pytest.approx(0.45, abs=1e-9)
    assert cost["usage_cost_source"] == "prices" and cost["estimated_cost"] == pytest.approx(0.45)
    assert cost["unpriced_models"] == {"house-model": 40}
    assert got["metrics"]["budget_burn"]["value"] == pytest.approx(0.45)
    assert got["feeds"] == {"usage": {"first_week": "2026-W46", "last_week": "2026-W46"}}
    text = minutes.render_markdown(make_review(**{k: got[k] for k in ("feeds",)}))
    assert (
        "_For this deployment: no feedback data loaded; no cost data loaded; no incident data loaded._"
        in text
    )


def test_a_kind_never_loaded_says_so_in_words() -> None:
    r = make_review(
        feeds={"usage": {"first_week": "2026-W40", "last_week": "2026-W47"}},
        metrics={"events": {"value": 1200, "n": 1200}},
    )
    assert layout.not_loaded(r.feeds, "cost_total", None) == "no cost data loaded"
    assert layout.not_loaded(r.feeds, "acceptance_rate", None) == "no feedback data loaded"
    assert layout.not_loaded(r.feeds, "error_rate", None) is None  # usage is loaded: too few data, not absent
    html = pack.render_html(r)
    assert html.count("no cost data loaded") == 1 and "no feedback data loaded" in html
    assert "no incident data loaded" in html
