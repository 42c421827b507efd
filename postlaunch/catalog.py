"""The declaration of every metric (DESIGN §5), its default thresholds (DESIGN §6) and the words the
statuses, alerts and recommendations use (DESIGN §6-§7), once.

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
# One vocabulary: a metric's status, an alert's level, a deployment's level in `check`, an action.
Status = Literal["ok", "watch", "warn", "critical", "insufficient_data", "no_threshold"]
AlertLevel = Literal["warn", "critical"]
CheckLevel = Literal["ok", "warn", "critical", "unknown"]
Action = Literal["expand", "continue", "limit", "pause", "stop"]

STATUSES: tuple[Status, ...] = ("ok", "watch", "warn", "critical", "insufficient_data", "no_threshold")
ALERT_LEVELS: tuple[AlertLevel, ...] = ("warn", "critical")
ACTIONS: tuple[Action, ...] = ("expand", "continue", "limit", "pause", "stop")

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
    n: str = "events in the week"  # what the metric's n counts (the sample it rests on)


_EV = "events in the week"

# fmt: off
METRICS: tuple[Metric, ...] = (
    Metric("events", "use", "events", "count", "above",
           "usage events in the week (a row counts as its `requests`)", n=_EV),
    Metric("active_users", "use", "users", "count", "above", "distinct user_id in the week", n=_EV),
    Metric("events_wow_change", "use", "ratio", "ratio", "above",
           "events / previous week's events − 1 (no value in the first week of the history or when the "
           "previous week has no events)", n=_EV),
    Metric("usage_feed_gap", "use", "weeks", "count", "above",
           "weeks in a row, up to this one, without usage events after a week with them: the usage export "
           "stopped (no value before the first week with usage; no threshold while the registry status is "
           "paused or retired)", n="weeks without usage"),
    Metric("error_rate", "quality", "share", "proportion", "above", "events with outcome = error / events",
           "events"),
    Metric("escalation_rate", "quality", "share", "proportion", "above",
           "events with outcome in (refused, escalated) / events", "events"),
    Metric("acceptance_rate", "quality", "share", "proportion", "below",
           "feedback rows with accepted = true / feedback rows with accepted set", "feedback",
           "feedback rows with accepted set"),
    Metric("rework_rate", "quality", "share", "proportion", "above",
           "feedback rows with rework_minutes > 0 / feedback rows with rework_minutes set", "feedback",
           "feedback rows with rework_minutes set"),
    Metric("mean_rating", "quality", "rating 1-5", "mean", "below",
           "mean rating (1-5), with a 95% Student-t interval (clipped to 1-5; none for a single rating)",
           "feedback", "feedback rows with a rating"),
    Metric("negative_feedback_share", "feedback", "share", "proportion", "above",
           "feedback rows with rating <= 2 or thumbs = down / feedback rows with either", "feedback",
           "feedback rows with a rating or thumbs"),
    Metric("feedback_count", "feedback", "rows", "count", "below", "feedback rows in the week (by their ts)",
           n="feedback rows in the week"),
    Metric("out_of_scope_share", "scope", "share", "proportion", "above",
           "events whose use case (a label, a person's label from the audit sample, else the inferred "
           "placement; `out_of_scope` is never approved) is set and not approved / events with a use case. "
           "Placed events are corrected with the error rates learned from every audited event of the "
           "deployment up to the week, else with the calibration, whose uncertainty the interval carries; "
           "`estimate` says how (method labelled, inferred or audited, with audited_n, inferred_n, "
           "labelled_n) and `split` gives the labelled, audited and inferred parts", "events",
           "events with a use case"),
    Metric("unlabeled_share", "scope", "share", "proportion", "above",
           "events with neither a use_case label nor an inferred use case / events", "events"),
    Metric("unapproved_team_share", "scope", "share", "proportion", "above",
           "events whose team is set and not in approved_teams / events with team set (no value when the "
           "registry lists no approved_teams)", "events", "events with a team"),
    Metric("data_class_violation_share", "scope", "share", "proportion", "above",
           "events whose data_class ranks above max_data_class (public < internal < confidential < "
           "restricted) / events with data_class set", "events", "events with a data_class"),
    Metric("use_case_drift_js", "scope", "distance 0-1", "distance", "above",
           "Jensen-Shannon distance (square root of the divergence, base 2) between this week's use-case "
           "mix and the baseline mix: the pooled mix of the first `baseline_weeks` (default 4) ISO weeks, "
           "from the launch week on, that have events with a use case. Computed for every week, the "
           "baseline weeks included (`in_baseline` marks them); `new_use_cases` lists use cases absent "
           "from the baseline. Mixes count labels and audited labels as given and placed events with the "
           "out-of-scope part corrected as in out_of_scope_share (`estimate`)", "drift", "events with a use case"),
    Metric("cost_total", "cost", "currency", "money", "above",
           "all cost in the week, in the reporting currency: cost records spread evenly over the days they "
           "cover, each day in its ISO week; where the week has no cost record of category usage, the usage "
           "events' own cost fills that category (never both); `split` by category; no value without any cost",
           n=_EV),
    Metric("cost_per_event", "cost", "currency/event", "money", "above", "cost_total / events", n=_EV),
    Metric("cost_per_accepted_output", "cost", "currency/output", "money", "above",
           "cost_total / (events × acceptance_rate)", n="feedback rows with accepted set"),
    Metric("budget_burn", "cost", "ratio", "ratio", "above",
           "cost_total / weekly_budget (no value without a budget)", n=_EV),
    Metric("cost_wow_change", "cost", "ratio", "ratio", "above",
           "cost_total / mean cost_total of up to four previous weeks of the deployment's history − 1 "
           "(weeks without cost count as 0; no value without a previous week or when that mean is 0)",
           n="previous weeks in the mean"),
    Metric("incidents_opened", "risk", "incidents", "count", "above", "incidents opened in the week",
           n="the count itself"),
    Metric("open_incidents", "risk", "incidents", "count", "above",
           "incidents opened before the week's end and not resolved by then (resolved_at NULL or at/after "
           "the end: one resolved exactly at the end is still open that week)", n="the count itself"),
    Metric("open_high_severity_incidents", "risk", "incidents", "count", "above",
           "open incidents of severity high or critical", n="the count itself"),
    Metric("overdue_serious_incidents", "risk", "incidents", "count", "above",
           "serious incidents whose reporting deadline passed before the week's end and which were not "
           "reported by then (reported_at NULL or at/after the end); the deadline is aware_at, else "
           "opened_at, + the clock of its serious_kind: death 10 days, critical_infrastructure and "
           "widespread_infringement 2, other or none reporting_deadline_days (15 by default, which also "
           "shortens the others)", n="the count itself"),
    Metric("serious_incidents_due_soon", "risk", "incidents", "count", "above",
           "serious incidents not reported by the week's end whose reporting deadline falls within 2 days "
           "after it (a warning before they are overdue)", n="the count itself"),
    Metric("mean_days_to_resolve", "risk", "days", "mean", "above",
           "mean days from opened_at to resolved_at of incidents resolved in the week",
           n="incidents resolved in the week"),
    Metric("pii_share", "risk", "share", "proportion", "above",
           "events whose request_text held personal data (pii_count > 0) / events with request_text",
           "events", "events with a request_text"),
    Metric("untrained_use_share", "risk", "share", "proportion", "above",
           "events whose user_id had no training valid at the event's time for the deployment (a training "
           "record for it or for every deployment, completed by then and not expired) / events; no value "
           "when no training record at all applies to the deployment (unknown, not 100% untrained)",
           "events"),
)
# fmt: on

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}

# DESIGN §6: (warn, critical) per tier (None: no such level; a tier left out: no threshold). Counts alert
# at >= threshold, everything else at > threshold.
DEFAULT_THRESHOLDS: dict[str, dict[Tier, tuple[float | None, float | None]]] = {
    "usage_feed_gap": {"low": (1, 2), "medium": (1, 2), "high": (1, 2)},
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
    "untrained_use_share": {"medium": (0.10, 0.25), "high": (0.02, 0.10)},  # DESIGN §15: low —/—
    "serious_incidents_due_soon": {"low": (1, None), "medium": (1, None), "high": (1, None)},
}
