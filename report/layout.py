"""What the review shows and how it is coloured, for every medium (the dashboard, the HTML pack, the
minutes, the digest): the category tiles with their headline metrics, status order, labels and
colours, and which way a change is bad. Pure declarations and small functions over a `Review`.
"""

from __future__ import annotations

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
