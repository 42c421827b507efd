"""Thresholds (tier default < settings < registry) and statuses (DESIGN §6): watch versus warn by the
Wilson interval, >= for counts, > for the rest, a threshold of 0, minimum n."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_metrics_data import make_ctx

from metrics.stats import wilson
from metrics.status import Levels, resolve_thresholds, status_of


def _levels(tmp_path: Path, deployment: dict, settings: dict, metric: str = "out_of_scope_share") -> Levels:
    ctx = make_ctx(tmp_path, {"dep": deployment}, **settings)
    return resolve_thresholds(metric, ctx.registry.get("dep"), ctx.settings)


@pytest.mark.parametrize(
    ("tier", "deployment", "settings", "expected"),
    [
        ("medium", {}, {}, (0.05, 0.15)),
        ("high", {}, {}, (0.02, 0.05)),
        ("medium", {}, {"thresholds": {"out_of_scope_share": {"medium": {"warn": 0.07}}}}, (0.07, 0.15)),
        ("medium", {}, {"thresholds": {"out_of_scope_share": {"high": {"warn": 0.07}}}}, (0.05, 0.15)),
        ("medium", {"thresholds": {"out_of_scope_share": {"critical": 0.2}}},
         {"thresholds": {"out_of_scope_share": {"medium": {"warn": 0.07, "critical": 0.18}}}}, (0.07, 0.2)),
        ("medium", {"thresholds": {"out_of_scope_share": {"warn": 0.01, "critical": 0.02}}},
         {"thresholds": {"out_of_scope_share": {"medium": {"warn": 0.07, "critical": 0.18}}}}, (0.01, 0.02)),
    ],
)  # fmt: skip
def test_threshold_precedence(
    tmp_path: Path, tier: str, deployment: dict, settings: dict, expected: tuple
) -> None:
    levels = _levels(tmp_path, {"risk_tier": tier, **deployment}, settings)
    assert (levels.warn, levels.critical) == expected


def test_metric_without_thresholds(tmp_path: Path) -> None:
    levels = _levels(tmp_path, {}, {}, "events")
    assert levels.empty
    assert status_of("events", 10_000, 10_000, None, levels, None) == "no_threshold"


MEDIUM_OOS = Levels(0.05, 0.15)


@pytest.mark.parametrize(
    ("metric", "x", "n", "levels", "min_n", "expected"),
    [
        # 180/1000: Wilson (0.157, 0.205) lies wholly above 0.15
        ("out_of_scope_share", 180, 1000, MEDIUM_OOS, 100, "critical"),
        # 160/1000: Wilson (0.138, 0.184) reaches back below 0.15 but lies above 0.05
        ("out_of_scope_share", 160, 1000, MEDIUM_OOS, 100, "warn"),
        # 7/100: estimate above 0.05, Wilson (0.034, 0.138) reaches below it
        ("out_of_scope_share", 7, 100, MEDIUM_OOS, 100, "watch"),
        ("out_of_scope_share", 3, 100, MEDIUM_OOS, 100, "ok"),
        ("out_of_scope_share", 50, 99, MEDIUM_OOS, 100, "insufficient_data"),
        ("out_of_scope_share", 0, 0, MEDIUM_OOS, 100, "insufficient_data"),
        # direction below: 40/100 accepted, Wilson (0.309, 0.498) wholly below 0.50
        ("acceptance_rate", 40, 100, Levels(0.70, 0.50), 30, "critical"),
        ("acceptance_rate", 60, 100, Levels(0.70, 0.50), 30, "warn"),
        ("acceptance_rate", 66, 100, Levels(0.70, 0.50), 30, "watch"),
        ("acceptance_rate", 90, 100, Levels(0.70, 0.50), 30, "ok"),
        # a threshold of 0 means any: 1 violation in 1000 lifts the Wilson lower bound above 0
        ("data_class_violation_share", 1, 1000, Levels(0.0, 0.01), 100, "warn"),
        ("data_class_violation_share", 0, 1000, Levels(0.0, 0.01), 100, "ok"),
        # only a critical level: the estimate beyond it with a wide interval is watch
        ("pii_share", 12, 100, Levels(None, 0.10), 100, "watch"),
    ],
)
def test_proportion_status(metric: str, x: int, n: int, levels: Levels, min_n: int, expected: str) -> None:
    value = x / n if n else None
    assert status_of(metric, value, n, wilson(x, n), levels, min_n) == expected


@pytest.mark.parametrize(
    ("metric", "value", "n", "levels", "min_n", "expected"),
    [
        ("open_high_severity_incidents", 1, 1, Levels(1, 2), None, "warn"),  # counts: >=
        ("open_high_severity_incidents", 2, 2, Levels(1, 2), None, "critical"),
        ("open_high_severity_incidents", 0, 0, Levels(1, 2), None, "ok"),
        ("overdue_serious_incidents", 1, 1, Levels(1, 1), None, "critical"),
        ("budget_burn", 1.0, 5, Levels(1.0, 1.25), None, "ok"),  # ratios: >
        ("budget_burn", 1.01, 5, Levels(1.0, 1.25), None, "warn"),
        ("budget_burn", 1.3, 5, Levels(1.0, 1.25), None, "critical"),
        ("budget_burn", None, 5, Levels(1.0, 1.25), None, "insufficient_data"),
        ("cost_wow_change", 0.5, 4, Levels(0.5, 1.0), None, "ok"),
        ("cost_wow_change", 0.51, 4, Levels(0.5, 1.0), None, "warn"),
        ("use_case_drift_js", 0.5, 199, Levels(0.15, 0.30), 200, "insufficient_data"),
        ("use_case_drift_js", 0.5, 200, Levels(0.15, 0.30), 200, "critical"),
        ("use_case_drift_js", 0.2, 500, Levels(0.15, 0.30), 200, "warn"),
        ("use_case_drift_js", 0.15, 500, Levels(0.15, 0.30), 200, "ok"),
    ],
)
def test_value_status(
    metric: str, value: float | None, n: int, levels: Levels, min_n: int | None, expected: str
) -> None:
    assert status_of(metric, value, n, None, levels, min_n) == expected
