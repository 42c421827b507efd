"""The typed results of metrics/: one metric value, an alert, a recommendation with its reasons, one
week of a deployment and its whole history. Plain data with `to_dict()` for the JSON; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class MetricResult:
    name: str
    value: float | int | None
    n: int | None
    ci: tuple[float, float] | None
    category: str
    direction: str
    unit: str
    status: str = "no_threshold"
    warn: float | None = None
    critical: float | None = None
    previous: float | int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "n": self.n,
            "ci": [self.ci[0], self.ci[1]] if self.ci is not None else None,
            "status": self.status,
            "warn": self.warn,
            "critical": self.critical,
            "direction": self.direction,
            "previous": self.previous,
            "category": self.category,
            "unit": self.unit,
            **self.extra,
        }


@dataclass(frozen=True)
class Alert:
    metric: str
    category: str
    level: str  # warn | critical
    value: float | int | None
    threshold: float | None
    message: str
    n: int | None
    ci: tuple[float, float] | None
    weeks_in_a_row: int
    since: str
    week: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "level": self.level,
            "value": self.value,
            "threshold": self.threshold,
            "message": self.message,
            "n": self.n,
            "ci": [self.ci[0], self.ci[1]] if self.ci is not None else None,
            "weeks_in_a_row": self.weeks_in_a_row,
            "since": self.since,
            "category": self.category,
        }


@dataclass(frozen=True)
class Reason:
    rule: int
    action: str
    metric: str | None
    value: float | int | None
    threshold: float | None
    week: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "action": self.action,
            "metric": self.metric,
            "value": self.value,
            "threshold": self.threshold,
            "week": self.week,
            "text": self.text,
        }


@dataclass(frozen=True)
class Recommendation:
    action: str  # expand | continue | limit | pause | stop
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "reasons": [r.to_dict() for r in self.reasons]}


@dataclass
class WeekResult:
    week: str
    metrics: dict[str, MetricResult]
    alerts: list[Alert] = field(default_factory=list)
    recommendation: Recommendation | None = None
    new_use_cases: list[str] = field(default_factory=list)
    weeks_of_data: int = 0

    @property
    def has_data(self) -> bool:
        value = self.metrics["events"].value
        return bool(value)

    @property
    def level(self) -> str:
        """ok | warning | critical (the check convention) from this week's alerts."""
        levels = {a.level for a in self.alerts}
        if "critical" in levels:
            return "critical"
        if "warn" in levels:
            return "warning"
        return "ok"


@dataclass
class History:
    deployment: str
    weeks: list[WeekResult]
    baseline_weeks: list[str]

    def get(self, week: str) -> WeekResult | None:
        for result in self.weeks:
            if result.week == week:
                return result
        return None

    @property
    def data_weeks(self) -> list[str]:
        return [w.week for w in self.weeks if w.has_data]
