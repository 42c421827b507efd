"""The façade: build_review (DESIGN §9 shape, errors, determinism), check, portfolio and trend."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from test_metrics_data import (
    change,
    cost,
    feedback,
    incident,
    insert,
    make_ctx,
    open_db,
    readiness,
    training,
    usage,
)

from metrics.api import (
    available_weeks,
    build_review,
    check,
    deployment_history,
    latest_week,
    portfolio,
    trend,
)
from postlaunch.catalog import METRICS
from postlaunch.errors import PostlaunchError, UnknownDeploymentError
from postlaunch.readiness import ITEMS

MONDAYS = [datetime(2026, 1, 5) + timedelta(weeks=i) for i in range(6)]  # 2026-W02 .. W07


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory):
    """Two deployments: `dep` drifts out of scope from W06 on (200 events a week); `calm` is healthy.
    Built once for the module; the tests only read it."""
    runbook = {"may_pause": ["Head of Support"], "fallback": "manual triage", "return_criteria": ["fixed"]}
    ctx = make_ctx(
        tmp_path_factory.mktemp("review"),
        {"dep": {}, "calm": {"risk_tier": "low", "weekly_budget": 100.0, "runbook": runbook,
                             "use_case_descriptions": {"classify": "Classify", "route": "Route"}}},
    )  # fmt: skip
    conn = open_db(ctx)
    # calm's checklist is complete (low tier: valid 12 months) and its one user is trained
    insert(conn, "readiness_records", [readiness("calm", item) for item in ITEMS])
    insert(conn, "training_records", [training("c", "2025-12-01 00:00:00", deployment="calm")])
    rows = []
    for i, monday in enumerate(MONDAYS):
        for j in range(200):
            ts = monday + timedelta(hours=1 + j % 150)
            drift = i >= 4 and j % 4 == 0
            rows.append(usage(ts, use_case="poetry" if drift else ("classify" if j % 2 else "route"),
                              team="l1", user_id=f"u{j % 7}", request_text=f"write a poem {j % 9}" if drift else "ticket",
                              has_text=True, pii_count=0, cost=0.01))  # fmt: skip
            rows.append(usage(ts, deployment="calm", use_case="classify", team="l1", cost=0.05, user_id="c"))
        for j in range(40):
            insert(
                conn,
                "feedback",
                [feedback(monday + timedelta(hours=j), deployment="calm", accepted=True, rating=5)],
            )
    insert(conn, "usage_events", rows)
    insert(conn, "incidents", [incident("inc-1", "2026-01-27 09:00:00", severity="high", serious=True, category="privacy",
                                        title="customer data in prompt")])  # fmt: skip
    insert(
        conn,
        "changes",
        [change("2026-02-10 08:00:00", "prompt v3", kind="prompt", changed_by="ana", approved_by="bo")],
    )
    insert(conn, "cost_records", [cost("2026-02-09", "2026-02-15", 70.0, category="subscription")])
    yield ctx, conn
    conn.close()


def test_review_shape(setup) -> None:
    ctx, conn = setup
    review = build_review(conn, ctx, "dep").as_json_dict()
    assert list(review)[:10] == [
        "deployment", "week", "period", "metrics", "alerts", "recommendation", "readiness", "open_incidents",
        "out_of_scope_examples", "changes",
    ]  # fmt: skip
    assert [r["item"] for r in review["readiness"]] == list(ITEMS)
    assert list(review["readiness"][0])[:7] == [
        "item", "status", "evidence", "evidence_date", "expires", "check", "message",
    ]  # fmt: skip
    assert review["deployment"] == "dep" and review["week"] == "2026-W07"
    assert review["period"] == {"start": "2026-02-09", "end": "2026-02-15"}
    assert list(review["metrics"]) == [m.name for m in METRICS]
    for name, m in review["metrics"].items():
        assert list(m)[:9] == [
            "value",
            "n",
            "ci",
            "status",
            "warn",
            "critical",
            "direction",
            "previous",
            "category",
        ], name
    oos = review["metrics"]["out_of_scope_share"]
    assert oos["value"] == pytest.approx(0.25) and oos["n"] == 200 and oos["status"] == "critical"
    assert oos["previous"] == pytest.approx(0.25)
    assert review["new_use_cases"] == ["poetry"]
    assert review["metrics"]["use_case_drift_js"]["status"] == "critical"
    alert = next(a for a in review["alerts"] if a["metric"] == "out_of_scope_share")
    assert alert["level"] == "critical" and alert["weeks_in_a_row"] == 2 and alert["since"] == "2026-W06"
    assert alert["message"].startswith(
        "out_of_scope_share 0.25 (n=200; 95% CI 0.20-0.31) above critical 0.15"
    )
    assert alert["message"].endswith("2nd week in a row")
    assert review["recommendation"]["action"] == "pause"
    assert {r["metric"] for r in review["recommendation"]["reasons"]} >= {
        "out_of_scope_share",
        "overdue_serious_incidents",
    }
    (example,) = review["out_of_scope_examples"]
    assert example["use_case"] == "poetry" and example["source"] == "labelled" and example["events"] == 50
    assert len(example["examples"]) == 5 and len(set(example["examples"])) == 5
    (inc,) = review["open_incidents"]
    assert inc["incident_id"] == "inc-1" and inc["overdue"] is True
    # deadline 2026-02-11 09:00 UTC; week end 2026-02-16 00:00 → 4.6 days past
    assert inc["deadline"] == "2026-02-11T09:00:00Z" and inc["days_to_deadline"] == -4.6
    assert review["changes"] == [
        {"ts": "2026-02-10T08:00:00Z", "kind": "prompt", "summary": "prompt v3", "changed_by": "ana",
         "approved_by": "bo", "source": "file"}
    ]  # fmt: skip
    assert review["metrics"]["cost_total"]["value"] == pytest.approx(72.0)  # 200 x 0.01 + 70 subscription
    json.dumps(review)


def test_review_is_deterministic(setup) -> None:
    ctx, conn = setup
    first = build_review(conn, ctx, "dep", "2026-W05").to_json()
    assert build_review(conn, ctx, "dep", "2026-W05").to_json() == first


def test_review_of_an_earlier_week(setup) -> None:
    ctx, conn = setup
    review = build_review(conn, ctx, "dep", "2026-W03").as_json_dict()
    assert review["week"] == "2026-W03" and review["metrics"]["events"]["previous"] == 200
    assert review["open_incidents"] == [] and review["changes"] == []
    assert review["recommendation"]["action"] == "continue"


@pytest.mark.parametrize(
    ("deployment", "week", "error", "match"),
    [
        ("nope", None, UnknownDeploymentError, "unknown deployment 'nope'; known: calm, dep"),
        ("dep", "2026-47", PostlaunchError, "not an ISO week"),
        (
            "dep",
            "2026-W30",
            PostlaunchError,
            "week 2026-W30 cannot be reviewed .* weeks are 2026-W02 .* to 2026-W07",
        ),
    ],
)
def test_review_errors(setup, deployment: str, week: str | None, error: type, match: str) -> None:
    ctx, conn = setup
    with pytest.raises(error, match=match):
        build_review(conn, ctx, deployment, week)


def test_review_without_any_data(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    conn = open_db(ctx)
    with pytest.raises(
        PostlaunchError, match="no data for deployment 'dep' yet: load usage, cost or feedback"
    ):
        build_review(conn, ctx, "dep")
    assert available_weeks(conn, ctx) == [] and latest_week(conn, ctx) is None
    assert [r.model_dump(mode="json") for r in check(conn, ctx)] == [
        {"deployment": "dep", "week": None, "level": "unknown", "critical": 0, "warn": 0, "alerts": [],
         "recommendation": None, "note": "no data at all"}
    ]  # fmt: skip
    conn.close()


def test_weeks(setup) -> None:
    ctx, conn = setup
    assert available_weeks(conn, ctx) == [f"2026-W0{i}" for i in range(2, 8)]
    assert latest_week(conn, ctx, "calm") == "2026-W07"


def test_check(setup) -> None:
    ctx, conn = setup
    result = {r.deployment: r.model_dump(mode="json") for r in check(conn, ctx)}
    assert result["dep"]["level"] == "critical" and result["dep"]["week"] == "2026-W07"
    assert result["dep"]["recommendation"]["action"] == "pause"
    assert result["calm"]["level"] == "ok" and result["calm"]["alerts"] == []
    # two weeks after the last usage: the feed stopped, for both
    late = {r.deployment: r for r in check(conn, ctx, week="2026-W09")}
    assert {d: r.level for d, r in late.items()} == {"calm": "critical", "dep": "critical"}
    assert [a.metric for a in late["calm"].alerts] == ["usage_feed_gap"]
    (only,) = check(conn, ctx, deployment="calm", week="2026-W03")
    assert only.deployment == "calm" and only.level == "ok"


def test_portfolio_worst_first(setup) -> None:
    ctx, conn = setup
    rows = [r.model_dump() for r in portfolio(conn, ctx)]
    assert [r["deployment"] for r in rows] == ["dep", "calm"]
    dep, calm = rows
    assert dep["level"] == "critical" and dep["recommendation"] == "pause" and dep["critical_alerts"] >= 2
    assert calm["level"] == "ok" and calm["recommendation"] == "expand"
    assert calm["events"] == 200 and calm["events_wow_change"] == 0.0 and calm["acceptance_rate"] == 1.0
    assert calm["budget_burn"] == pytest.approx(0.1) and calm["last_decision"] is None


def test_trend(setup) -> None:
    ctx, conn = setup
    frame = trend(
        conn, ctx, "dep", ["events", "out_of_scope_share"], start_week="2026-W05", end_week="2026-W06"
    )
    assert list(frame.columns) == [
        "week",
        "metric",
        "value",
        "ci_low",
        "ci_high",
        "n",
        "status",
        "warn",
        "critical",
    ]
    assert frame["week"].tolist() == ["2026-W05", "2026-W05", "2026-W06", "2026-W06"]
    assert frame["value"].tolist() == pytest.approx([200.0, 0.0, 200.0, 0.25])
    assert frame["status"].tolist() == ["no_threshold", "ok", "no_threshold", "critical"]
    with pytest.raises(PostlaunchError, match="unknown metric"):
        trend(conn, ctx, "dep", ["nope"])


def test_history_streaks_and_recommendations(setup) -> None:
    ctx, conn = setup
    history = deployment_history(conn, ctx, "calm")
    assert [w.recommendation.action if w.recommendation else None for w in history.weeks] == [
        "continue"
    ] * 3 + ["expand"] * 3
    assert history.baseline_weeks == ["2026-W02", "2026-W03", "2026-W04", "2026-W05"]
