"""Case tables: every metric of DESIGN §5 on small hand-built databases, values worked out by hand.

Weeks used (UTC unless a case says otherwise): 2026-W02 = Mon 5 Jan .. Sun 11 Jan 2026,
W03 = 12-18 Jan, W04 = 19-25 Jan, W05 = 26 Jan-1 Feb, W06 = 2-8 Feb.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_metrics_data import change, cost, feedback, incident, insert, make_ctx, open_db, training, usage

from metrics.api import deployment_history
from metrics.model import MetricResult
from postlaunch.catalog import METRICS

W02, W03, W04, W05, W06 = (
    "2026-01-06 10:00:00",
    "2026-01-13 10:00:00",
    "2026-01-20 10:00:00",
    "2026-01-27 10:00:00",
    "2026-02-03 10:00:00",
)


@dataclass
class Case:
    id: str
    metric: str
    week: str
    tables: dict[str, list[dict[str, Any]]]
    value: Any
    n: Any = "skip"
    deployment: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def U(ts: str = W02, **kw: Any) -> dict[str, Any]:
    return usage(ts, **kw)


def _js(p: list[float], q: list[float]) -> float:
    m = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
    kl = lambda x: sum(a * math.log2(a / c) for a, c in zip(x, m, strict=True) if a > 0)  # noqa: E731
    return math.sqrt(0.5 * kl(p) + 0.5 * kl(q))


BASE4 = [U(t, use_case="classify") for t in (W02, W03, W04, W05)]

CASES: list[Case] = [
    # use
    Case("events one", "events", "2026-W02", {"usage_events": [U()]}, 1, 1),
    Case("events requests>1", "events", "2026-W02", {"usage_events": [U(requests=3), U()]}, 4, 4),
    Case("events empty week", "events", "2026-W03", {"usage_events": [U(W02), U(W04)]}, 0, 0),
    Case("users distinct", "active_users", "2026-W02",
         {"usage_events": [U(user_id="a", requests=5), U(user_id="a"), U(user_id="b")]}, 2, 7),
    Case("wow +50%", "events_wow_change", "2026-W03",
         {"usage_events": [U(W02, requests=2), U(W03, requests=3)]}, 0.5, 3),
    Case("wow first week", "events_wow_change", "2026-W02", {"usage_events": [U(W02)]}, None),
    Case("wow previous empty", "events_wow_change", "2026-W04", {"usage_events": [U(W02), U(W04)]}, None),
    Case("feed gap none", "usage_feed_gap", "2026-W03", {"usage_events": [U(W02), U(W03)]}, 0, 0),
    Case("feed gap one week", "usage_feed_gap", "2026-W03", {"usage_events": [U(W02)], "feedback": [feedback(W03)]},
         1, 1),
    Case("feed gap two weeks", "usage_feed_gap", "2026-W04",
         {"usage_events": [U(W02)], "feedback": [feedback(W04)]}, 2, 2),
    Case("feed gap resets", "usage_feed_gap", "2026-W04", {"usage_events": [U(W02), U(W04)]}, 0, 0),
    Case("feed gap before usage", "usage_feed_gap", "2026-W02",
         {"usage_events": [U(W03)], "feedback": [feedback(W02)]}, None, None),
    # quality
    Case("errors weighted", "error_rate", "2026-W02",
         {"usage_events": [U(outcome="error", requests=2), U(), U()]}, 0.5, 4),
    Case("errors none", "error_rate", "2026-W03", {"usage_events": [U(W02), U(W04)]}, None, 0),
    Case("escalations", "escalation_rate", "2026-W02",
         {"usage_events": [U(outcome="refused"), U(outcome="escalated"), U(outcome="error"), U()]}, 0.5, 4),
    Case("acceptance NULL ignored", "acceptance_rate", "2026-W02",
         {"usage_events": [U()], "feedback": [feedback(W02, accepted=True), feedback(W02, accepted=True),
                                               feedback(W02, accepted=False), feedback(W02, rating=3)]}, 2 / 3, 3),
    Case("acceptance no feedback", "acceptance_rate", "2026-W02", {"usage_events": [U()]}, None, 0),
    Case("rework", "rework_rate", "2026-W02",
         {"usage_events": [U()], "feedback": [feedback(W02, rework_minutes=0.0), feedback(W02, rework_minutes=5.0),
                                               feedback(W02), feedback(W02, rework_minutes=10.0)]}, 2 / 3, 3),
    Case("rating mean", "mean_rating", "2026-W02",
         {"usage_events": [U()], "feedback": [feedback(W02, rating=4), feedback(W02, rating=5), feedback(W02)]},
         4.5, 2, extra={"ci": [1.0, 5.0]}),
    Case("rating single", "mean_rating", "2026-W02",
         {"usage_events": [U()], "feedback": [feedback(W02, rating=3)]}, 3.0, 1, extra={"ci": None}),
    # feedback
    Case("negative", "negative_feedback_share", "2026-W02",
         {"usage_events": [U()], "feedback": [feedback(W02, rating=1), feedback(W02, rating=5, thumbs="down"),
                                               feedback(W02, thumbs="up"), feedback(W02, rating=3),
                                               feedback(W02, accepted=True)]}, 0.5, 4),
    Case("feedback rows", "feedback_count", "2026-W02",
         {"usage_events": [U()], "feedback": [feedback(W02), feedback(W02, rating=2), feedback(W03)]}, 2, 2),
    Case("feedback none", "feedback_count", "2026-W02", {"usage_events": [U()]}, 0, 0),
    # scope
    Case("oos label wins, split", "out_of_scope_share", "2026-W02",
         {"usage_events": [U(use_case="classify", inferred_use_case="out_of_scope"), U(use_case="poetry"),
                           U(inferred_use_case="out_of_scope"), U(inferred_use_case="route"), U()]},
         0.5, 4, extra={"split": {"labelled": {"n": 2, "out_of_scope": 1}, "audited": {"n": 0, "out_of_scope": 0}, "inferred": {"n": 2, "out_of_scope": 1}}}),
    Case("oos unseen label, requests", "out_of_scope_share", "2026-W02",
         {"usage_events": [U(use_case="never_seen", requests=3), U(use_case="route")]}, 0.75, 4),
    Case("oos nothing placed", "out_of_scope_share", "2026-W02", {"usage_events": [U(), U()]}, None, 0),
    Case("unlabeled", "unlabeled_share", "2026-W02",
         {"usage_events": [U(use_case="classify"), U(inferred_use_case="route"), U(), U(requests=2)]}, 0.6, 5),
    Case("teams", "unapproved_team_share", "2026-W02",
         {"usage_events": [U(team="l1"), U(team="zz", requests=2), U(), U(team="l2")]}, 0.5, 4),
    Case("teams none approved", "unapproved_team_share", "2026-W02",
         {"usage_events": [U(team="l1")]}, None, 1, deployment={"approved_teams": []}),
    Case("data class ranks", "data_class_violation_share", "2026-W02",
         {"usage_events": [U(data_class="internal"), U(data_class="confidential"),
                           U(data_class="restricted", requests=2), U(data_class="public"), U()]}, 0.6, 5),
    Case("drift identical", "use_case_drift_js", "2026-W06",
         {"usage_events": [*BASE4, U(W06, use_case="classify", requests=7)]}, 0.0, 7),
    Case("drift disjoint, new use case", "use_case_drift_js", "2026-W06",
         {"usage_events": [*BASE4, U(W06, use_case="route")]}, 1.0, 1, extra={"new_use_cases": ["route"]}),
    Case("drift half", "use_case_drift_js", "2026-W06",
         {"usage_events": [*BASE4, U(W06, use_case="classify"), U(W06, inferred_use_case="out_of_scope")]},
         _js([0.5, 0.5], [1.0, 0.0]), 2, extra={"new_use_cases": ["out_of_scope"], "in_baseline": False}),
    Case("drift baseline from launch", "use_case_drift_js", "2026-W06",
         {"usage_events": [U("2026-01-01 10:00:00", use_case="route"), *BASE4, U(W06, use_case="classify")]},
         0.0, 1, extra={"baseline_weeks": ["2026-W02", "2026-W03", "2026-W04", "2026-W05"]}),
    Case("drift inside baseline", "use_case_drift_js", "2026-W02",
         {"usage_events": [U(W02, use_case="classify"), U(W03, use_case="route")]},
         _js([1.0, 0.0], [0.5, 0.5]), 1, extra={"in_baseline": True, "baseline_complete": False}),
    # cost
    Case("cost from usage rows", "cost_total", "2026-W02",
         {"usage_events": [U(cost=0.5), U(cost=0.25), U()]}, 0.75, 3,
         extra={"split": {"usage": 0.75}, "usage_cost_source": "events"}),
    Case("cost records win", "cost_total", "2026-W02",
         {"usage_events": [U(cost=0.5)], "cost_records": [cost("2026-01-07", amount=10.0)]}, 10.0, 1,
         extra={"split": {"usage": 10.0}, "usage_cost_source": "records"}),
    Case("cost subscription + usage rows", "cost_total", "2026-W02",
         {"usage_events": [U(cost=1.0)], "cost_records": [cost("2026-01-05", "2026-01-11", 70.0, category="subscription")]},
         71.0, 1, extra={"split": {"subscription": 70.0, "usage": 1.0}}),
    Case("cost spread W02", "cost_total", "2026-W02",
         {"usage_events": [U(W02), U(W03)], "cost_records": [cost("2026-01-09", "2026-01-14", 60.0, category="support")]},
         30.0, 1),
    Case("cost spread W03", "cost_total", "2026-W03",
         {"usage_events": [U(W02), U(W03)], "cost_records": [cost("2026-01-09", "2026-01-14", 60.0, category="support")]},
         30.0, 1),
    Case("cost none", "cost_total", "2026-W02", {"usage_events": [U()]}, None, 1),
    Case("cost per event", "cost_per_event", "2026-W02",
         {"usage_events": [U(requests=4)], "cost_records": [cost("2026-01-06", amount=10.0)]}, 2.5, 4),
    Case("cost per accepted", "cost_per_accepted_output", "2026-W02",
         {"usage_events": [U(requests=4)], "cost_records": [cost("2026-01-06", amount=10.0)],
          "feedback": [feedback(W02, accepted=True), feedback(W02, accepted=False)]}, 5.0, 2),
    Case("burn", "budget_burn", "2026-W02",
         {"usage_events": [U()], "cost_records": [cost("2026-01-06", amount=500.0)]}, 0.5, 1),
    Case("burn no budget", "budget_burn", "2026-W02",
         {"usage_events": [U()], "cost_records": [cost("2026-01-06", amount=500.0)]}, None, 1,
         deployment={"weekly_budget": None}),
    Case("cost wow mean of previous", "cost_wow_change", "2026-W04",
         {"usage_events": [U(W02, cost=10.0), U(W03, cost=20.0), U(W04, cost=30.0)]}, 1.0, 2,
         extra={"previous_mean": 15.0}),
    Case("cost wow zero week counts", "cost_wow_change", "2026-W04",
         {"usage_events": [U(W02, cost=10.0), U(W03), U(W04, cost=10.0)]}, 1.0, 2),
    Case("cost wow only four", "cost_wow_change", "2026-W07",
         {"usage_events": [U(W02, cost=1000.0), U(W03, cost=10.0), U(W04, cost=10.0), U(W05, cost=10.0),
                           U(W06, cost=10.0), U("2026-02-10 10:00:00", cost=5.0)]}, -0.5, 4),
    Case("cost wow first week", "cost_wow_change", "2026-W02", {"usage_events": [U(cost=1.0)]}, None, 0),
    # risk
    Case("opened", "incidents_opened", "2026-W03",
         {"usage_events": [U(W02)], "incidents": [incident("a", W02), incident("b", W03), incident("c", "2026-01-12 00:00:00")]},
         2, 2),
    Case("open until resolved at end", "open_incidents", "2026-W02",
         {"usage_events": [U(W02), U(W03)], "incidents": [incident("a", W02, resolved_at="2026-01-12 00:00:00", status="resolved")]},
         1, 1),
    Case("resolved at end closed next week", "open_incidents", "2026-W03",
         {"usage_events": [U(W02), U(W03)], "incidents": [incident("a", W02, resolved_at="2026-01-12 00:00:00", status="resolved")]},
         0, 0),
    Case("open before, never resolved", "open_incidents", "2026-W04",
         {"usage_events": [U(W02)], "incidents": [incident("a", W02), incident("b", W03, resolved_at=W03)]}, 1, 1),
    Case("high severity", "open_high_severity_incidents", "2026-W02",
         {"usage_events": [U()], "incidents": [incident("a", W02, severity="high"), incident("b", W02, severity="critical"),
                                               incident("c", W02, severity="medium")]}, 2, 2),
    Case("overdue not yet", "overdue_serious_incidents", "2026-W03",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True)]}, 0, 0),
    Case("overdue after 15 days", "overdue_serious_incidents", "2026-W04",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True)]}, 1, 1),
    Case("overdue counted from aware_at", "overdue_serious_incidents", "2026-W04",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True, aware_at="2026-01-12 10:00:00")]},
         0, 0),
    Case("reported in time", "overdue_serious_incidents", "2026-W04",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True, reported_at="2026-01-21 09:00:00")]},
         0, 0),
    Case("reported at week end is late", "overdue_serious_incidents", "2026-W04",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True, reported_at="2026-01-26 00:00:00")]},
         1, 1),
    Case("deadline setting", "overdue_serious_incidents", "2026-W03",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True)]}, 1, 1,
         settings={"reporting_deadline_days": 3}),
    # serious_kind clocks (DESIGN §16): death 10 days, critical_infrastructure 2; the setting shortens them
    Case("death clock is 10 days", "overdue_serious_incidents", "2026-W03",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True, serious_kind="death")]},
         1, 1),
    Case("critical infrastructure clock is 2 days", "overdue_serious_incidents", "2026-W02",
         {"usage_events": [U(W02)],
          "incidents": [incident("a", "2026-01-08 10:00:00", serious=True, serious_kind="critical_infrastructure")]}, 1, 1),
    Case("other kind keeps the general clock", "overdue_serious_incidents", "2026-W03",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True, serious_kind="other")]},
         0, 0),
    Case("setting shortens the death clock", "overdue_serious_incidents", "2026-W02",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True, serious_kind="death")]},
         1, 1, settings={"reporting_deadline_days": 3}),
    Case("setting never lengthens the death clock", "overdue_serious_incidents", "2026-W03",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True, serious_kind="death")]},
         1, 1, settings={"reporting_deadline_days": 30}),
    # deadline 2026-01-20 10:00; W03 ends 2026-01-19 00:00 (1.4 days before), W02 ends 8.4 days before
    Case("due within 2 days", "serious_incidents_due_soon", "2026-W03",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True)]}, 1, 1),
    Case("due in 8 days is not soon", "serious_incidents_due_soon", "2026-W02",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True)]}, 0, 0),
    Case("due soon but reported", "serious_incidents_due_soon", "2026-W03",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True, reported_at="2026-01-14 00:00:00")]},
         0, 0),
    Case("overdue is not due soon", "serious_incidents_due_soon", "2026-W04",
         {"usage_events": [U(W02)], "incidents": [incident("a", "2026-01-05 10:00:00", serious=True)]}, 0, 0),
    Case("resolve days", "mean_days_to_resolve", "2026-W02",
         {"usage_events": [U()], "incidents": [incident("a", "2026-01-05 00:00:00", resolved_at="2026-01-06 00:00:00"),
                                               incident("b", "2026-01-04 12:00:00", resolved_at="2026-01-07 12:00:00"),
                                               incident("c", "2026-01-05 00:00:00")]}, 2.0, 2),
    Case("resolve none", "mean_days_to_resolve", "2026-W02", {"usage_events": [U()]}, None, 0),
    Case("pii weighted", "pii_share", "2026-W02",
         {"usage_events": [U(has_text=True, pii_count=2, request_text="[EMAIL]"), U(has_text=True, pii_count=0, request_text="x"),
                           U(has_text=True, pii_count=1, requests=3, request_text="[PHONE]"), U()]}, 0.8, 5),
    Case("pii no text", "pii_share", "2026-W02", {"usage_events": [U()]}, None, 0),
    # untrained_use_share (DESIGN §15): trained for this deployment or for all, completed by the event, not
    # expired; u1 (3 requests) and u4 are trained, u2 never, u3 only for another deployment, u5 expired
    # before the event, u6 trained after it: 4 of 8 events untrained
    Case("untrained weighted", "untrained_use_share", "2026-W02",
         {"usage_events": [U(user_id="u1", requests=3), U(user_id="u2"), U(user_id="u3"), U(user_id="u4"),
                           U(user_id="u5"), U(user_id="u6")],
          "training_records": [training("u1", "2026-01-01 00:00:00", deployment="dep"),
                               training("u3", "2026-01-01 00:00:00", deployment="other"),
                               training("u4", "2026-01-01 00:00:00"),
                               training("u5", "2025-06-01 00:00:00", deployment="dep", expires_at="2026-01-05 00:00:00"),
                               training("u6", "2026-01-07 00:00:00", deployment="dep")]}, 0.5, 8),
    Case("untrained without any record is unknown", "untrained_use_share", "2026-W02",
         {"usage_events": [U(user_id="u1"), U(user_id="u2")]}, None, 2, extra={"note": "no training records loaded"}),
    Case("untrained with only another deployment's records is unknown", "untrained_use_share", "2026-W02",
         {"usage_events": [U(user_id="u1")], "training_records": [training("u1", "2026-01-01 00:00:00", deployment="other")]},
         None, 1),
    Case("untrained all trained", "untrained_use_share", "2026-W02",
         {"usage_events": [U(user_id="u1")], "training_records": [training("u1", "2026-01-01 00:00:00")]}, 0.0, 1),
    # weeks start Monday 00:00 local: Europe/Berlin is UTC+1 in January, America/New_York UTC-4 in June
    Case("berlin events at local Monday", "events", "2026-W03",
         {"usage_events": [U("2026-01-11 22:59:59"), U("2026-01-11 23:00:00")]}, 1, 1,
         settings={"timezone": "Europe/Berlin"}),
    Case("berlin feedback at local Monday", "feedback_count", "2026-W03",
         {"usage_events": [U(W02), U(W03)],
          "feedback": [feedback("2026-01-11 22:59:59"), feedback("2026-01-11 23:00:00")]}, 1, 1,
         settings={"timezone": "Europe/Berlin"}),
    Case("new york incidents at local Monday", "incidents_opened", "2026-W23",
         {"usage_events": [U("2026-06-02 12:00:00")],
          "incidents": [incident("a", "2026-06-01 03:59:59"), incident("b", "2026-06-01 04:00:00")]}, 1, 1,
         settings={"timezone": "America/New_York"}),
    Case("new york resolved at local week end", "open_incidents", "2026-W23",
         {"usage_events": [U("2026-06-02 12:00:00")],
          "incidents": [incident("a", "2026-06-02 04:00:00", resolved_at="2026-06-08 04:00:00", status="resolved")]},
         1, 1, settings={"timezone": "America/New_York"}),
]  # fmt: skip


def metric_of(tmp_path: Path, case: Case) -> MetricResult:
    ctx = make_ctx(tmp_path, {"dep": case.deployment}, **case.settings)
    conn = open_db(ctx)
    try:
        for table, rows in case.tables.items():
            insert(conn, table, rows)
        history = deployment_history(conn, ctx, "dep", until_week=case.week)
    finally:
        conn.close()
    result = history.get(case.week)
    assert result is not None, f"week {case.week} not in history {[w.week for w in history.weeks]}"
    return result.metrics[case.metric]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_metric_case(tmp_path: Path, case: Case) -> None:
    result = metric_of(tmp_path, case)
    if case.value is None:
        assert result.value is None
    else:
        assert result.value == pytest.approx(case.value, abs=1e-9)
    if case.n != "skip":
        assert result.n == case.n
    data = result.model_dump(mode="json")
    for key, expected in case.extra.items():
        assert data[key] == (
            pytest.approx(expected)
            if isinstance(expected, list) and expected and isinstance(expected[0], float)
            else expected
        ), key


def test_every_metric_has_a_case() -> None:
    covered = {c.metric for c in CASES}
    assert [m.name for m in METRICS if m.name not in covered] == []


def test_proportion_interval_is_wilson(tmp_path: Path) -> None:
    case = Case("w", "error_rate", "2026-W02", {"usage_events": [U(outcome="error"), U(requests=3)]}, 0.25, 4)
    result = metric_of(tmp_path, case)
    # Wilson 95% for 1/4: centre (0.25 + z²/8) / (1 + z²/4), half z·sqrt(0.25·0.75/4 + z²/64) / (1 + z²/4)
    z = 1.959963984540054
    denom = 1 + z * z / 4
    centre = (0.25 + z * z / 8) / denom
    half = z * math.sqrt(0.25 * 0.75 / 4 + z * z / 64) / denom
    assert result.ci == pytest.approx((centre - half, centre + half), abs=1e-8)
    assert result.ci is not None
    assert result.ci[0] == pytest.approx(0.0456, abs=1e-4) and result.ci[1] == pytest.approx(0.6994, abs=1e-4)


def test_changes_do_not_touch_metrics(tmp_path: Path) -> None:
    case = Case(
        "c", "events", "2026-W02", {"usage_events": [U()], "changes": [change(W02, "prompt v2")]}, 1, 1
    )
    assert metric_of(tmp_path, case).value == 1
