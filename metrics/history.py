"""A deployment's weekly history: every week's metrics with thresholds, statuses and previous values,
its alerts with streaks, and its recommendation, built from the raw frames of metrics.queries.
"""

from __future__ import annotations

from metrics.alerts import week_alerts
from metrics.compute import baseline_weeks, week_values
from metrics.model import History, MetricResult, WeekResult
from metrics.queries import RawData, history_weeks
from metrics.readiness import evaluate as evaluate_readiness
from metrics.recommend import WeekSignals, recommend
from metrics.status import Levels, min_n_for, resolve_thresholds, status_of
from postlaunch import weeks as wk
from postlaunch.catalog import BY_NAME, METRICS
from postlaunch.registry import Deployment
from postlaunch.settings import Settings


def thresholds_for(deployment: Deployment, settings: Settings) -> dict[str, Levels]:
    levels = {m.name: resolve_thresholds(m.name, deployment, settings) for m in METRICS}
    if deployment.status in ("paused", "retired"):  # no usage is expected: a gap is not a finding
        levels["usage_feed_gap"] = Levels(None, None)
    return levels


def apply_status(result: MetricResult, levels: Levels, settings: Settings) -> None:
    result.warn, result.critical = levels.warn, levels.critical
    result.status = status_of(
        result.name, result.value, result.n, result.ci, levels, min_n_for(BY_NAME[result.name], settings)
    )
    if result.labelled_part is not None:
        apply_status(result.labelled_part, levels, settings)


def unconfirmed(metrics: dict[str, MetricResult]) -> frozenset[str]:
    """Scope metrics whose warn or critical rests on placement by text alone (DESIGN §12): nobody checked
    a sample of the week, and the labelled events alone do not reach the same level."""
    found = set()
    for name in ("out_of_scope_share", "use_case_drift_js"):
        result = metrics.get(name)
        if result is None or result.status not in ("warn", "critical"):
            continue
        if (result.estimate or {}).get("method") != "inferred":
            continue
        part = result.labelled_part
        rank = {"warn": 1, "critical": 2}
        if part is None or rank.get(part.status, 0) < rank[result.status]:
            found.add(name)
    return frozenset(found)


def build_history(
    deployment: Deployment, raw: RawData, settings: Settings, until: int | None = None
) -> History:
    """Every week from the first with usage events to the last (or week index `until`)."""
    weeks = history_weeks(raw, until)
    baseline = baseline_weeks(raw, deployment, settings.baseline_weeks)
    values = week_values(deployment, raw, weeks, settings, baseline) if weeks else {}
    levels = thresholds_for(deployment, settings)
    names = [wk.week_of_index(w) for w in weeks]
    per_week: list[dict[str, MetricResult]] = []
    results: list[WeekResult] = []
    signals: list[WeekSignals] = []
    weeks_of_data = 0
    for i, w in enumerate(weeks):
        metrics, new_use_cases = values[w]
        for name, result in metrics.items():
            apply_status(result, levels[name], settings)
            if per_week:
                result.previous = per_week[-1][name].value
        per_week.append(metrics)
        alerts = week_alerts(names, per_week, i, settings.currency)
        has_events = bool(metrics["events"].value)
        weeks_of_data += has_events
        signals.append(WeekSignals(names[i], tuple(alerts), has_events, unconfirmed(metrics)))
        acceptance = metrics["acceptance_rate"]
        readiness = evaluate_readiness(deployment, raw, w, metrics)
        recommendation = recommend(
            signals,
            acceptance.status,
            acceptance.value,
            metrics["budget_burn"].value,
            deployment.weekly_budget is not None,
            acceptance.warn,
            readiness=readiness,
        )
        results.append(
            WeekResult(
                week=names[i],
                metrics=metrics,
                alerts=alerts,
                recommendation=recommendation,
                new_use_cases=new_use_cases,
                weeks_of_data=weeks_of_data,
                readiness=readiness,
            )
        )
    return History(
        deployment=deployment.id, weeks=results, baseline_weeks=[wk.week_of_index(b) for b in baseline]
    )
