"""The recommendation rules (DESIGN §7) and their order, on small constructed histories."""

from __future__ import annotations

from typing import Any

import pytest

from metrics.model import Alert
from metrics.recommend import WeekSignals, recommend
from postlaunch import weeks as wk

CATEGORY = {
    "error_rate": "quality", "acceptance_rate": "quality", "out_of_scope_share": "scope",
    "overdue_serious_incidents": "risk", "budget_burn": "cost", "negative_feedback_share": "feedback",
    "open_high_severity_incidents": "risk",
}  # fmt: skip


def A(metric: str, level: str = "critical", value: float = 0.5, threshold: float = 0.1) -> Alert:
    return Alert(metric=metric, category=CATEGORY[metric], level=level, value=value, threshold=threshold,
                 message=f"{metric} {value} above {level} {threshold}", n=100, ci=None, weeks_in_a_row=1,
                 since="2026-W01", week="2026-W01")  # fmt: skip


def history(*weeks: list[Alert], first: str = "2026-W10") -> list[WeekSignals]:
    return [WeekSignals(wk.shift_week(first, i), tuple(alerts)) for i, alerts in enumerate(weeks)]


GOOD: dict[str, Any] = {
    "acceptance_status": "ok",
    "acceptance_value": 0.9,
    "budget_burn": 0.5,
    "has_budget": True,
}


@pytest.mark.parametrize(
    ("weeks", "kwargs", "action", "reason_metrics"),
    [
        # 1 stop: quality or risk critical in each of the last three weeks (stop wins over pause)
        ([[A("error_rate")], [A("overdue_serious_incidents")], [A("error_rate"), A("out_of_scope_share")]], GOOD,
         "stop", ["error_rate", "overdue_serious_incidents", "error_rate"]),
        # a gap in the three weeks: no stop, but risk critical this week pauses
        ([[A("error_rate")], [], [A("overdue_serious_incidents")]], GOOD, "pause", ["overdue_serious_incidents"]),
        # 2 pause: scope critical this week
        ([[], [], [], [A("out_of_scope_share")]], GOOD, "pause", ["out_of_scope_share"]),
        # 2 pause: quality critical this week and the week before (both listed)
        ([[], [A("error_rate")], [A("acceptance_rate")]], GOOD, "pause", ["error_rate", "acceptance_rate"]),
        # 3 limit: quality critical this week only
        ([[], [], [A("error_rate")]], GOOD, "limit", ["error_rate"]),
        # 3 limit: cost critical this week
        ([[], [], [A("budget_burn")]], GOOD, "limit", ["budget_burn"]),
        # 3 limit: scope warn this week
        ([[], [], [A("out_of_scope_share", "warn")]], GOOD, "limit", ["out_of_scope_share"]),
        # a quality warn is not limit; it blocks expand
        ([[], [], [], [A("error_rate", "warn")]], GOOD, "continue", ["error_rate"]),
        # 4 expand: four clean weeks, acceptance ok, burn <= 0.8
        ([[], [], [], []], GOOD, "expand", ["events", None, "acceptance_rate", "budget_burn"]),
        ([[A("error_rate", "warn")], [], [], [], []], GOOD, "expand", ["events", None, "acceptance_rate", "budget_burn"]),
        # 5 continue: each failed expand condition is a reason
        ([[], [], []], GOOD, "continue", ["events"]),
        ([[], [A("negative_feedback_share", "warn")], [], []], GOOD, "continue", ["negative_feedback_share"]),
        ([[], [], [], []], {**GOOD, "budget_burn": 0.81}, "continue", ["budget_burn"]),
        ([[], [], [], []], {**GOOD, "budget_burn": 0.8}, "expand", ["events", None, "acceptance_rate", "budget_burn"]),
        ([[], [], [], []], {**GOOD, "budget_burn": None, "has_budget": False}, "continue", ["budget_burn"]),
        ([[], [], [], []], {**GOOD, "acceptance_status": "insufficient_data"}, "continue", ["acceptance_rate"]),
        ([[], [], [], []], {**GOOD, "acceptance_status": "watch"}, "continue", ["acceptance_rate"]),
    ],
)  # fmt: skip
def test_rules(weeks: list[list[Alert]], kwargs: dict, action: str, reason_metrics: list[str | None]) -> None:
    result = recommend(history(*weeks), **kwargs)
    assert result.action == action
    assert [r.metric for r in result.reasons] == reason_metrics
    for reason in result.reasons:
        assert reason.action == action and reason.text


def test_reasons_name_value_threshold_and_week() -> None:
    result = recommend(
        history([], [A("error_rate", value=0.3, threshold=0.15)], [A("error_rate", value=0.4)]), **GOOD
    )
    assert result.action == "pause"
    assert [(r.rule, r.week, r.value, r.threshold) for r in result.reasons] == [
        (2, "2026-W11", 0.3, 0.15),
        (2, "2026-W12", 0.4, 0.1),
    ]
    assert "2026-W11" in result.reasons[0].text and "error_rate" in result.reasons[0].text


def test_missing_budget_is_named() -> None:
    result = recommend(history([], [], [], []), **{**GOOD, "budget_burn": None, "has_budget": False})
    assert "no weekly_budget" in result.reasons[0].text


def test_weeks_without_events_do_not_count_as_data() -> None:
    weeks = [WeekSignals(wk.shift_week("2026-W10", i), (), has_events=i != 1) for i in range(4)]
    result = recommend(weeks, **GOOD)
    assert result.action == "continue"
    assert result.reasons[0].value == 3


def test_needs_this_week() -> None:
    with pytest.raises(ValueError):
        recommend([], **GOOD)
