"""Thresholds and statuses (DESIGN §6): which warn/critical apply to a deployment's metric (tier
default < settings < registry), and the status of one value against them. Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from postlaunch.catalog import BY_NAME, DEFAULT_THRESHOLDS, Metric, Status
from postlaunch.registry import Deployment
from postlaunch.settings import Settings


@dataclass(frozen=True)
class Levels:
    warn: float | None
    critical: float | None

    @property
    def empty(self) -> bool:
        return self.warn is None and self.critical is None


def resolve_thresholds(metric: str, deployment: Deployment, settings: Settings) -> Levels:
    """warn and critical for `metric`: the tier default, overridden level by level by
    `settings.thresholds[metric][tier]`, overridden level by level by the registry's own thresholds."""
    warn: float | None = None
    critical: float | None = None
    default = DEFAULT_THRESHOLDS.get(metric, {}).get(deployment.risk_tier)
    if default is not None:
        warn, critical = default
    from_settings = settings.thresholds.get(metric, {}).get(deployment.risk_tier)
    if from_settings is not None:
        warn = from_settings.warn if from_settings.warn is not None else warn
        critical = from_settings.critical if from_settings.critical is not None else critical
    own = deployment.thresholds.get(metric)
    if own is not None:
        warn = own.warn if own.warn is not None else warn
        critical = own.critical if own.critical is not None else critical
    return Levels(warn, critical)


def min_n_for(metric: Metric, settings: Settings) -> int | None:
    return None if metric.min_n is None else int(getattr(settings.min_n, metric.min_n))


def beyond(metric: Metric, value: float, threshold: float) -> bool:
    """Is `value` on the bad side of `threshold`? Counts use >= (<= for direction below); others > (<)."""
    if metric.kind == "count":
        return value >= threshold if metric.direction == "above" else value <= threshold
    return value > threshold if metric.direction == "above" else value < threshold


def _interval_beyond(metric: Metric, ci: tuple[float, float], threshold: float) -> bool:
    """The whole interval lies beyond the threshold (its nearer end is past it)."""
    near = ci[0] if metric.direction == "above" else ci[1]
    return beyond(metric, near, threshold)


def status_of(
    name: str,
    value: float | None,
    n: int | None,
    ci: tuple[float, float] | None,
    levels: Levels,
    min_n: int | None,
) -> Status:
    """The status of one metric value (DESIGN §6).

    no_threshold without thresholds; insufficient_data without a value or below the minimum n;
    proportions: critical/warn only when the 95% Wilson interval lies wholly beyond the level, watch
    when the estimate alone is beyond warn (or critical); everything else alerts on its value.
    """
    metric = BY_NAME[name]
    if levels.empty:
        return "no_threshold"
    if value is None or (min_n is not None and (n or 0) < min_n):
        return "insufficient_data"
    if metric.kind == "proportion":
        if ci is None:
            return "insufficient_data"
        if levels.critical is not None and _interval_beyond(metric, ci, levels.critical):
            return "critical"
        if levels.warn is not None and _interval_beyond(metric, ci, levels.warn):
            return "warn"
        first = levels.warn if levels.warn is not None else levels.critical
        if first is not None and beyond(metric, value, first):
            return "watch"
        return "ok"
    if levels.critical is not None and beyond(metric, value, levels.critical):
        return "critical"
    if levels.warn is not None and beyond(metric, value, levels.warn):
        return "warn"
    return "ok"
