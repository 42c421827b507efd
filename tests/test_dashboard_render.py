"""The pure parts of what is shown: number formatting (postlaunch.fmt), the dashboard's trend figure
(bands, interval bars, change markers) and the self-contained review pack with its SVG charts — on small
hand-made inputs with hand-worked values."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest
from review_factory import make_review

from dashboard import charts
from postlaunch import fmt
from report import layout, pack


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        ("out_of_scope_share", 0.18, "18%"),
        ("out_of_scope_share", 0.034, "3.4%"),
        ("events", 12345, "12,345"),
        ("cost_total", 1432.5, "$1,432"),
        ("cost_per_event", 0.0312, "$0.03"),
        ("budget_burn", 0.95, "95% of budget"),
        ("cost_wow_change", 0.42, "+42%"),
        ("cost_wow_change", -0.1, "-10%"),
        ("mean_rating", 4.125, "4.12"),
        ("mean_days_to_resolve", 3.25, "3.2 d"),
        ("use_case_drift_js", 0.1234, "0.12"),
        ("events", None, "—"),
        ("events", float("nan"), "—"),
    ],
)
def test_value(metric: str, value: object, expected: str) -> None:
    assert fmt.value(metric, value) == expected


@pytest.mark.parametrize(
    ("metric", "value", "previous", "expected"),
    [
        ("out_of_scope_share", 0.18, 0.12, "+6.0 pp"),
        ("events", 5400, 5100, "+300"),
        ("cost_total", 1500.0, 1000.0, "+$500 (+50%)"),
        ("cost_total", 900.0, 1000.0, "-$100 (-10%)"),
        ("acceptance_rate", 0.7, None, None),
    ],
)
def test_delta(metric: str, value: float, previous: float | None, expected: str | None) -> None:
    assert fmt.delta(metric, value, previous) == expected


@pytest.mark.parametrize(
    ("metric", "colour"),
    [
        ("cost_total", "inverse"),
        ("out_of_scope_share", "inverse"),
        ("acceptance_rate", "normal"),
        ("events", "off"),
    ],
)
def test_rising_cost_is_red_rising_acceptance_green(metric: str, colour: str) -> None:
    assert layout.delta_color(metric) == colour


@pytest.mark.parametrize(
    ("incident", "expected"),
    [
        ({"serious": True, "overdue": True, "days_to_deadline": -2}, "OVERDUE by 2 days — not reported"),
        ({"serious": True, "overdue": False, "days_to_deadline": 1}, "report due in 1 day"),
        ({"serious": True, "overdue": False, "days_to_deadline": 0}, "report due today"),
        ({"serious": True, "reported_at": "2026-11-20T10:00:00"}, "reported 2026-11-20"),
        ({"serious": True, "deadline": "2026-11-30T09:00:00Z"}, "report by 2026-11-30"),
        ({"serious": False}, "not a serious incident"),
        (
            {
                "serious": True,
                "days_to_deadline": 1.5,
                "deadline": "2026-11-24T11:00:00Z",
                "serious_kind": "critical_infrastructure",
                "deadline_days": 2,
            },
            "report due in 1 day (deadline 2026-11-24; 2-day clock: critical infrastructure)",
        ),
        (
            {
                "serious": True,
                "overdue": True,
                "days_to_deadline": -3.2,
                "deadline": "2026-11-20T11:00:00Z",
                "deadline_days": 15,
            },
            "OVERDUE by 3 days — not reported (deadline 2026-11-20; 15-day clock)",
        ),
    ],
)
def test_deadline_text(incident: dict, expected: str) -> None:
    args = {
        "serious": False,
        "reported_at": None,
        "deadline": None,
        "days_to_deadline": None,
        "overdue": False,
        "serious_kind": None,
        "deadline_days": None,
    }
    assert fmt.deadline_text(SimpleNamespace(**{**args, **incident})) == expected


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [
        (["ok", "warn", "watch"], "warn"),
        (["ok", "critical"], "critical"),
        (["no_threshold"], "no_threshold"),
        (["insufficient_data", "no_threshold"], "insufficient_data"),
        (["insufficient_data", "ok"], "ok"),
    ],
)
def test_worst_status(statuses: list[str], worst: str) -> None:
    assert layout.worst_status(statuses) == worst


def test_week_label() -> None:
    assert fmt.week_label("2026-W47") == "2026-W47 (16–22 Nov)"
    assert fmt.week_label("2026-W49") == "2026-W49 (30 Nov – 6 Dec)"


def _trend(metric: str, values: list[float], warn: float | None, critical: float | None) -> pd.DataFrame:
    weeks = [f"2026-W{40 + i}" for i in range(len(values))]
    return pd.DataFrame(
        {
            "week": weeks,
            "metric": metric,
            "value": values,
            "ci_low": [v - 0.01 for v in values],
            "ci_high": [v + 0.02 for v in values],
            "n": 500,
            "status": "ok",
            "warn": warn,
            "critical": critical,
        }
    )


def test_trend_figure_bands_intervals_and_markers() -> None:
    frame = _trend("out_of_scope_share", [0.01, 0.03, 0.08], warn=0.02, critical=0.05)
    changes = pd.DataFrame(
        [
            {
                "ts": pd.Timestamp("2026-10-06 09:00"),
                "kind": "model",
                "summary": "switch to model B",
                "changed_by": "ops",
                "approved_by": "CTO",
            }
        ]
    )
    fig = charts.trend_figure(frame, "out_of_scope_share", changes)
    line = fig.data[0]
    assert list(line.y) == pytest.approx([1.0, 3.0, 8.0])  # shares are drawn in %
    assert list(line.error_y.array) == pytest.approx([2.0, 2.0, 2.0])  # ci_high - value, in %
    assert list(line.error_y.arrayminus) == pytest.approx([1.0, 1.0, 1.0])
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(r.y0, round(r.y1, 6)) for r in rects][0] == (2.0, 5.0)  # warn band: warn..critical
    assert rects[1].y0 == 5.0  # critical band starts at critical
    marker = fig.data[-1]
    assert marker.name == "change record"
    assert "switch to model B" in marker.hovertext[0] and "approved by CTO" in marker.hovertext[0]
    assert [s for s in fig.layout.shapes if s.type == "line" and s.x0 == marker.x[0]]


def test_trend_figure_below_direction_bands_sit_under_the_line() -> None:
    frame = _trend("acceptance_rate", [0.9, 0.85], warn=0.8, critical=0.6)
    rects = [s for s in charts.trend_figure(frame, "acceptance_rate").layout.shapes if s.type == "rect"]
    assert [(r.y0, r.y1) for r in rects] == [(60.0, 80.0), (0, 60.0)]


def test_trend_figure_without_rows_says_so() -> None:
    fig = charts.trend_figure(_trend("error_rate", [0.1], None, None), "events")
    assert fig.layout.annotations[0].text == "no data in this range"


REVIEW = make_review(
    metrics={
        "out_of_scope_share": {"value": 0.18, "n": 1240, "ci": [0.16, 0.2], "status": "critical",
                               "warn": 0.02, "critical": 0.05, "previous": 0.12},
        "cost_total": {"value": 1500.0, "previous": 1000.0},
    },
    alerts=[
        {"metric": "out_of_scope_share", "level": "critical", "value": 0.18, "threshold": 0.05, "message": "m",
         "n": 1240, "ci": [0.16, 0.2], "weeks_in_a_row": 3, "since": "2026-W45", "category": "scope",
         "week": "2026-W47"}
    ],
    recommendation={
        "action": "pause",
        "reasons": [{"rule": 2, "action": "pause", "metric": "out_of_scope_share", "value": 0.18,
                     "threshold": 0.05, "week": "2026-W47", "text": "out_of_scope_share <critical>"}],
    },
    out_of_scope_examples=[
        {"use_case": "legal_advice", "source": "labelled", "events": 120, "examples": ["can I sue my landlord?"]}
    ],
    changes=[
        {"ts": "2026-11-17T09:00:00Z", "kind": "model", "summary": "model B", "changed_by": "ops",
         "approved_by": None, "source": "file"}
    ],
)  # fmt: skip


def test_pack_is_one_self_contained_file() -> None:
    trends = _trend("out_of_scope_share", [0.05, 0.12, 0.18], 0.02, 0.05)
    text = pack.render_html(REVIEW, trends)
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]+src=", text), "no external script"
    assert not re.search(r"<link[^>]+href=", text), "no external stylesheet"
    assert "<script" not in text and text.count("<svg") == 1  # one chart (the alerting metric), inline
    assert 'Recommendation: <span class="action">pause</span>' in text
    assert "out_of_scope_share &lt;critical&gt;" in text  # reasons are escaped
    assert "18% (n=1,240; 95% CI 16%–20%)" in text
    assert "3rd week in a row (since 2026-W45)" in text
    assert "can I sue my landlord?" in text and "not recorded" in text  # change without approver
    assert "+$500 (+50%) vs last week" in text


def test_pack_without_trends_has_no_chart() -> None:
    text = pack.render_html(REVIEW)
    assert "<svg" not in text and "<h2>Trends</h2>" not in text
    assert "No open incidents." in text


def test_pack_chart_draws_bands_points_and_change_markers() -> None:
    trends = _trend("out_of_scope_share", [0.05, 0.12, 0.18], 0.02, 0.05)
    changes = pd.DataFrame(
        [{"ts": pd.Timestamp("2026-10-07 09:00"), "kind": "model", "summary": "switch to B"}]
    )
    text = pack.render_html(REVIEW, trends, changes)
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert svg.count("<circle") == 3  # one point a week
    assert "warn 2.0%" in svg and "critical 5.0%" in svg  # the threshold lines, labelled
    assert "model change 2026-10-07 09:00: switch to B" in svg  # the change marker's tooltip
    assert "2026-W42: 18%, n=500, ok" in svg  # a point's tooltip


def test_trend_figure_keeps_negative_changes_in_view() -> None:
    frame = _trend("cost_wow_change", [0.05, -0.4, 1.5], warn=0.5, critical=1.0)
    low, high = charts.trend_figure(frame, "cost_wow_change").layout.yaxis.range
    assert low < -40 < 150 < high  # drawn in %: -40% and +150% both visible
    low, _ = charts.trend_figure(
        _trend("error_rate", [0.01, 0.03], 0.02, 0.1), "error_rate"
    ).layout.yaxis.range
    assert low == 0  # a share starts at zero
