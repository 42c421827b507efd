"""What the review shows and how it is coloured, for every medium (the dashboard, the HTML pack, the
minutes, the digest): the category tiles with their headline metrics, status order, labels and
colours, and which way a change is bad. Pure declarations and small functions over a `Review`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from postlaunch.catalog import BY_NAME, Status
from postlaunch.fmt import missing

# Worst first; used to order and colour statuses everywhere.
STATUS_ORDER: dict[str, int] = {
    "critical": 0,
    "warn": 1,
    "watch": 2,
    "insufficient_data": 3,
    "ok": 4,
    "no_threshold": 5,
}
STATUS_COLOR: dict[str, str] = {
    "critical": "#c62828",
    "warn": "#ef8f00",
    "watch": "#f2c200",
    "insufficient_data": "#8c8c8c",
    "ok": "#2e7d32",
    "no_threshold": "#8c8c8c",
}
STATUS_LABEL: dict[str, str] = {
    "critical": "critical",
    "warn": "warn",
    "watch": "watch",
    "insufficient_data": "too few data",
    "ok": "ok",
    "no_threshold": "no threshold",
}
ACTION_COLOR: dict[str, str] = {
    "expand": "#2e7d32",
    "continue": "#1565c0",
    "limit": "#ef8f00",
    "pause": "#c62828",
    "stop": "#6a1b1b",
}

# The category tiles of the Weekly review and the pack: (category, headline metric, supporting metrics).
TILES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("quality", "acceptance_rate", ("error_rate", "rework_rate", "mean_rating")),
    ("use", "events", ("active_users", "events_wow_change")),
    (
        "scope",
        "out_of_scope_share",
        ("unapproved_team_share", "data_class_violation_share", "use_case_drift_js"),
    ),
    ("cost", "cost_total", ("budget_burn", "cost_per_event", "cost_wow_change")),
    (
        "risk",
        "open_incidents",
        ("overdue_serious_incidents", "open_high_severity_incidents", "pii_share", "untrained_use_share"),
    ),
    ("feedback", "negative_feedback_share", ("feedback_count",)),
)


def worst_status(statuses: list[str]) -> Status:
    """The worst of `statuses` that carries a judgement (ok when none does)."""
    judged = [s for s in statuses if s in ("critical", "warn", "watch", "ok")]
    if not judged:
        return "insufficient_data" if "insufficient_data" in statuses else "no_threshold"
    worst = min(judged, key=lambda s: STATUS_ORDER[s])
    return worst  # type: ignore[return-value]


def category_status(metrics: dict[str, object], category: str) -> Status:
    """The worst status among `metrics` (name -> MetricResult) of `category`."""
    return worst_status(
        [
            str(getattr(m, "status", "no_threshold"))
            for name, m in metrics.items()
            if name in BY_NAME and BY_NAME[name].category == category
        ]
    )


def delta_color(metric: str) -> str:
    """Which way a change is bad: `inverse` (rising is bad: cost, shares of trouble, incidents),
    `normal` (falling is bad: acceptance) or `off` (volumes, neither)."""
    if metric in ("events", "active_users", "feedback_count", "events_wow_change"):
        return "off"
    spec = BY_NAME.get(metric)
    return "normal" if spec is not None and spec.direction == "below" else "inverse"


def change_is_bad(metric: str, value: float | None, previous: float | None) -> bool | None:
    """Whether this week's change of `metric` goes the bad way (None: no change to judge)."""
    colour = delta_color(metric)
    if colour == "off" or value is None or previous is None or missing(value) or missing(previous):
        return None
    if value == previous:
        return None
    rising = value > previous
    return rising if colour == "inverse" else not rising


# --- chart axes, shared by the dashboard's plotly charts and the pack's SVG charts ----------------------


def y_scale(metric: str) -> float:
    """100 for metrics shown in % on a chart axis (shares, budget burn, week-over-week changes), else 1."""
    spec = BY_NAME.get(metric)
    share = spec is not None and spec.kind == "proportion"
    return 100.0 if share or metric == "budget_burn" or metric.endswith("_wow_change") else 1.0


def axis_title(metric: str, currency: str) -> str:
    spec = BY_NAME.get(metric)
    if spec is None:
        return metric
    if y_scale(metric) == 100.0:
        return "%"
    if spec.kind == "money":
        return currency
    return spec.unit


def axis_top(data_top: float | None, warn: float | None, critical: float | None) -> float:
    """The y-axis top (unscaled): the data (and intervals) and the warn line always; the critical line
    only when it is near (within 1.5x), so a metric far below its thresholds is not squashed."""
    top = max(0.0 if data_top is None or missing(data_top) else data_top, warn or 0.0)
    if critical is not None and critical <= max(top, 1e-9) * 1.5:
        top = max(top, critical)
    return top if top > 0 else 1.0


# --- where a metric's data comes from, to say "no … data loaded" instead of a bare dash ---------------

_FEEDBACK = (
    "acceptance_rate", "rework_rate", "mean_rating", "negative_feedback_share", "feedback_count",
    "cost_per_accepted_output",
)  # fmt: skip
_INCIDENTS = (
    "incidents_opened", "open_incidents", "open_high_severity_incidents", "overdue_serious_incidents",
    "mean_days_to_resolve",
)  # fmt: skip
_COST = ("cost_total", "budget_burn", "cost_wow_change", "cost_per_event")
FEED_WORDS = {"usage": "usage", "feedback": "feedback", "cost": "cost", "incidents": "incident"}


def feed_of(metric: str) -> str:
    """The kind of record a metric's value rests on: usage, feedback, cost or incidents."""
    if metric in _FEEDBACK:
        return "feedback"
    if metric in _INCIDENTS:
        return "incidents"
    if metric in _COST:
        return "cost"
    return "usage"


def not_loaded(feeds: Mapping[str, object] | None, metric: str, value: float | None) -> str | None:
    """`no cost data loaded` when `metric` has no value because its kind of record was never loaded for
    the deployment (cost also counts the usage events' own cost and prices); None otherwise, and for a
    review that does not say which kinds were loaded."""
    if feeds is None or (value is not None and not missing(value)):
        return None
    kind = feed_of(metric)
    if kind in feeds:
        return None
    return f"no {FEED_WORDS[kind]} data loaded"


def absent_kinds(feeds: Mapping[str, object] | None) -> list[str]:
    """The kinds of record never loaded for a deployment (none when the review does not say)."""
    return [] if feeds is None else [kind for kind in FEED_WORDS if kind not in feeds]


def cost_note(usage_cost_source: str | None, unpriced: Mapping[str, int] | None) -> str | None:
    """How the usage cost was made, when it was not simply recorded: prices, and models without one."""
    parts = []
    if usage_cost_source and "prices" in usage_cost_source:
        parts.append("usage cost estimated from token prices")
    if unpriced:
        named = ", ".join(f"{model} ({events:,} requests)" for model, events in unpriced.items())
        parts.append(f"no price for {named}: not counted")
    return "; ".join(parts) or None


# --- the readiness checklist (DESIGN §13) --------------------------------------------------------------


class _Readiness(Protocol):
    @property
    def status(self) -> str | None: ...
    @property
    def expired(self) -> bool: ...
    @property
    def check(self) -> str: ...
    @property
    def blocks_expand(self) -> bool: ...


def readiness_level(item: _Readiness) -> str:
    """How a readiness item is coloured: ok (met and standing), warn (met but challenged by the data, or
    unchecked where that keeps expand away), critical (not met or expired), unknown (no record, or
    claimed unknown)."""
    if item.status is None or item.status == "unknown":
        return "unknown"
    if item.status == "not_met" or item.expired:
        return "critical"
    return "warn" if item.blocks_expand or item.check == "challenged" else "ok"


READINESS_LABEL = {"ok": "met", "warn": "challenged", "critical": "not met", "unknown": "no record"}


def readiness_label(item: _Readiness) -> str:
    """`met`, `expired`, `not met`, `challenged`, `unknown`, `no record`: one word for the mark."""
    level = readiness_level(item)
    if item.status == "unknown":
        return "unknown"
    if item.expired:
        return "expired"
    if level == "warn" and item.check == "unknown":
        return "unchecked"
    return READINESS_LABEL[level]
