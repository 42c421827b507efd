"""The declaration of every metric (DESIGN §5) and its default thresholds (DESIGN §6), once.

The JSON, the alert engine, the registry's validation and docs/metrics.md all read these
declarations; nothing here computes or touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Category = Literal["use", "quality", "feedback", "scope", "cost", "risk"]
Direction = Literal["above", "below"]
Kind = Literal["count", "proportion", "mean", "ratio", "money", "distance"]
MinNKey = Literal["feedback", "events", "drift"]
Tier = Literal["low", "medium", "high"]

CATEGORIES: tuple[Category, ...] = ("quality", "use", "scope", "cost", "risk", "feedback")


@dataclass(frozen=True)
class Metric:
    name: str
    category: Category
    unit: str
    kind: Kind
    direction: Direction  # which way is bad
    definition: str
    min_n: MinNKey | None = None  # which minimum sample applies before the metric may alert


METRICS: tuple[Metric, ...] = (
    Metric("events", "use", "events", "count", "above", "usage events in the week (a row counts as its `requests`)"),
    Metric("active_users", "use", "users", "count", "above", "distinct user_id in the week"),
    Metric("events_wow_change", "use", "ratio", "ratio", "above",
           "events / previous week's events − 1 (no value without a previous week)"),
    Metric("error_rate", "quality", "share", "proportion", "above", "events with outcome = error / events",
           "events"),
    Metric("escalation_rate", "quality", "share", "proportion", "above",
           "events with outcome in (refused, escalated) / events", "events"),
    Metric("acceptance_rate", "quality", "share", "proportion", "below",
           "feedback rows with accepted = true / feedback rows with accepted set", "feedback"),
    Metric("rework_rate", "quality", "share", "proportion", "above",
           "feedback rows with rework_minutes > 0 / feedback rows with rework_minutes set", "feedback"),
    Metric("mean_rating", "quality", "rating 1-5", "mean", "below", "mean rating (1-5), with a 95% interval",
           "feedback"),
    Metric("negative_feedback_share", "feedback", "share", "proportion", "above",
           "feedback rows with rating <= 2 or thumbs = down / feedback rows with either", "feedback"),
    Metric("feedback_count", "feedback", "rows", "count", "below", "feedback rows in the week"),
    Metric("out_of_scope_share", "scope", "share", "proportion", "above",
           "events whose use case (labelled, else inferred) is set and not approved / events with a use case",
           "events"),
    Metric("unlabeled_share", "scope", "share", "proportion", "above",
           "events with neither a use_case label nor a request_text to place / events", "events"),
    Metric("unapproved_team_share", "scope", "share", "proportion", "above",
           "events whose team is set and not approved / events with team set", "events"),
    Metric("data_class_violation_share", "scope", "share", "proportion", "above",
           "events whose data_class ranks above max_data_class / events with data_class set", "events"),
    Metric("use_case_drift_js", "scope", "distance 0-1", "distance", "above",
           "Jensen-Shannon distance (base 2) between this week's use-case mix and the baseline mix "
           "(the first four weeks after launch with data)", "drift"),
    Metric("cost_total", "cost", "currency", "money", "above", "all cost in the week, in the reporting currency"),
    Metric("cost_per_event", "cost", "currency/event", "money", "above", "cost_total / events"),
    Metric("cost_per_accepted_output", "cost", "currency/output", "money", "above",
           "cost_total / (events × acceptance_rate)"),
    Metric("budget_burn", "cost", "ratio", "ratio", "above", "cost_total / weekly_budget"),
    Metric("cost_wow_change", "cost", "ratio", "ratio", "above",
           "cost_total / mean cost_total of up to four previous weeks − 1 (no value without one)"),
    Metric("incidents_opened", "risk", "incidents", "count", "above", "incidents opened in the week"),
    Metric("open_incidents", "risk", "incidents", "count", "above",
           "incidents opened before the week's end and not resolved by then"),
    Metric("open_high_severity_incidents", "risk", "incidents", "count", "above",
           "open incidents of severity high or critical"),
    Metric("overdue_serious_incidents", "risk", "incidents", "count", "above",
           "serious incidents whose reporting deadline (aware_at, else opened_at, + 15 days) passed before "
           "the week's end and which were not reported by then"),
    Metric("mean_days_to_resolve", "risk", "days", "mean", "above",
           "mean days from opened_at to resolved_at of incidents resolved in the week"),
    Metric("pii_share", "risk", "share", "proportion", "above",
           "events whose request_text held personal data / events with request_text", "events"),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}

# DESIGN §6: (warn, critical) per tier. Counts alert at >= threshold, everything else at > threshold.
DEFAULT_THRESHOLDS: dict[str, dict[Tier, tuple[float, float]]] = {
    "out_of_scope_share": {"low": (0.10, 0.25), "medium": (0.05, 0.15), "high": (0.02, 0.05)},
    "unapproved_team_share": {"low": (0.10, 0.25), "medium": (0.05, 0.15), "high": (0.01, 0.05)},
    "data_class_violation_share": {"low": (0.01, 0.05), "medium": (0.005, 0.02), "high": (0.0, 0.01)},
    "use_case_drift_js": {"low": (0.20, 0.40), "medium": (0.15, 0.30), "high": (0.10, 0.20)},
    "error_rate": {"low": (0.10, 0.25), "medium": (0.05, 0.15), "high": (0.02, 0.10)},
    "acceptance_rate": {"low": (0.60, 0.40), "medium": (0.70, 0.50), "high": (0.80, 0.60)},
    "negative_feedback_share": {"low": (0.30, 0.50), "medium": (0.20, 0.35), "high": (0.10, 0.25)},
    "budget_burn": {"low": (1.00, 1.50), "medium": (1.00, 1.25), "high": (1.00, 1.10)},
    "cost_wow_change": {"low": (0.50, 1.00), "medium": (0.50, 1.00), "high": (0.30, 0.60)},
    "open_high_severity_incidents": {"low": (1, 3), "medium": (1, 2), "high": (1, 1)},
    "overdue_serious_incidents": {"low": (1, 1), "medium": (1, 1), "high": (1, 1)},
    "pii_share": {"low": (0.05, 0.20), "medium": (0.02, 0.10), "high": (0.01, 0.05)},
}


def is_count(metric: Metric) -> bool:
    """Counts alert at >= threshold (DESIGN §6); everything else at > threshold."""
    return metric.kind == "count"
