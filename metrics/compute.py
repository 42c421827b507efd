"""The value, n and interval of every metric (DESIGN §5) for each week of one deployment, from the
raw weekly frames of metrics.queries. No thresholds or statuses here (metrics.history adds them).
"""

from __future__ import annotations

from typing import Any

from metrics.cost import weekly_cost
from metrics.model import MetricResult
from metrics.queries import FeedbackWeek, IncidentWeek, RawData, UsageWeek
from metrics.scope_estimate import Pooled, ScopeWeek, scope_week
from metrics.stats import js_distance, mean_interval, wilson
from postlaunch import weeks as wk
from postlaunch.catalog import BY_NAME, METRICS
from postlaunch.registry import Deployment
from postlaunch.settings import Settings

DIGITS = 9  # floats are rounded so sums taken in parallel give the same JSON on every run
COST_CATEGORIES = ("usage", "subscription", "support", "rework", "other")


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), DIGITS)


def _ci(ci: tuple[float, float] | None) -> tuple[float, float] | None:
    return None if ci is None else (round(ci[0], DIGITS), round(ci[1], DIGITS))


def _result(
    name: str, value: float | int | None, n: int | None, ci: Any = None, **extra: Any
) -> MetricResult:
    metric = BY_NAME[name]
    shown = value if isinstance(value, int) or value is None else _r(value)
    return MetricResult(
        name=name, value=shown, n=n, ci=_ci(ci), category=metric.category,
        direction=metric.direction, unit=metric.unit, **extra,
    )  # fmt: skip


def _share(name: str, numerator: int, denominator: int, **extra: Any) -> MetricResult:
    if denominator <= 0:
        return _result(name, None, denominator, None, **extra)
    return _result(name, numerator / denominator, denominator, wilson(numerator, denominator), **extra)


def scope_weeks(raw: RawData, weeks: list[int]) -> dict[int, ScopeWeek]:
    """Every week's scope figures (metrics.scope_estimate), each with the audits of the weeks up to it."""
    pooled = Pooled()
    out: dict[int, ScopeWeek] = {}
    for w in sorted(set(weeks) | set(raw.usage)):
        usage = raw.usage.get(w) or UsageWeek()
        pooled.add(usage)
        out[w] = scope_week(usage, pooled, raw.scope_calibration)
    return out


def baseline_weeks(raw: RawData, deployment: Deployment, count: int) -> list[int]:
    """The first `count` weeks on or after the launch week that have usage events with a use case."""
    launch = wk.index_of_monday(deployment.launched)
    eligible = sorted(
        w for w, u in raw.usage.items() if w >= launch and any(r.use_case is not None for r in u.mix)
    )
    return eligible[:count]


def _scope(scope: ScopeWeek) -> MetricResult:
    n = scope.n
    result = _result(
        "out_of_scope_share", scope.value, n, scope.ci, split=scope.split, estimate=scope.estimate,
        estimate_basis=scope.basis,
    )  # fmt: skip
    labelled = scope.split["labelled"]
    result.labelled_part = _share("out_of_scope_share", labelled["out_of_scope"], labelled["n"])
    return result


def week_values(
    deployment: Deployment,
    raw: RawData,
    weeks: list[int],
    settings: Settings,
    baseline: list[int],
) -> dict[int, tuple[dict[str, MetricResult], list[str]]]:
    """Every metric of every week in `weeks` (contiguous, ascending), plus the week's new use cases."""
    scopes = scope_weeks(raw, weeks)
    base_mix: dict[str, float] = {}
    base_labelled: dict[str, float] = {}
    for b in baseline:
        for use_case, events in scopes[b].mix.items():
            base_mix[use_case] = base_mix.get(use_case, 0) + events
        for use_case, events in scopes[b].labelled_mix.items():
            base_labelled[use_case] = base_labelled.get(use_case, 0) + events
    baseline_names = [wk.week_of_index(b) for b in baseline]
    costs: dict[int, float | None] = {}
    out: dict[int, tuple[dict[str, MetricResult], list[str]]] = {}
    first = weeks[0] if weeks else 0
    gap: int | None = None  # weeks without usage since the last week with it (None before any)
    for w in weeks:
        usage = raw.usage.get(w) or UsageWeek()
        fb = raw.feedback.get(w) or FeedbackWeek()
        inc = raw.incidents.get(w) or IncidentWeek()
        events = usage.events
        prev_usage = raw.usage.get(w - 1) if w > first else None
        prev_events = prev_usage.events if prev_usage is not None else 0
        m: dict[str, MetricResult] = {}
        m["events"] = _result("events", events, events)
        m["active_users"] = _result("active_users", usage.active_users, events)
        gap = 0 if events > 0 else (None if gap is None else gap + 1)
        m["usage_feed_gap"] = _result("usage_feed_gap", gap, gap)
        m["events_wow_change"] = _result(
            "events_wow_change", events / prev_events - 1 if prev_events > 0 else None, events,
            previous_events=prev_events if w > first else None,
        )  # fmt: skip
        m["error_rate"] = _share("error_rate", usage.errors, events)
        m["escalation_rate"] = _share("escalation_rate", usage.escalations, events)
        m["acceptance_rate"] = _share("acceptance_rate", fb.accepted_yes, fb.accepted_n)
        m["rework_rate"] = _share("rework_rate", fb.rework_yes, fb.rework_n)
        rating = mean_interval(fb.rating_n, fb.rating_sum, fb.rating_sumsq, 1, 5)
        m["mean_rating"] = _result(
            "mean_rating", rating[0] if rating else None, fb.rating_n, rating[1] if rating else None,
            interval="student-t 95%",
        )  # fmt: skip
        m["negative_feedback_share"] = _share("negative_feedback_share", fb.negative_yes, fb.negative_n)
        m["feedback_count"] = _result("feedback_count", fb.feedback_count, fb.feedback_count)
        scope = scopes[w]
        m["out_of_scope_share"] = _scope(scope)
        unlabeled = sum(row.events for row in usage.mix if row.use_case is None)
        m["unlabeled_share"] = _share("unlabeled_share", unlabeled, events)
        if deployment.approved_teams:
            m["unapproved_team_share"] = _share("unapproved_team_share", usage.team_bad, usage.team_n)
        else:
            m["unapproved_team_share"] = _result(
                "unapproved_team_share", None, usage.team_n, None, note="the registry lists no approved_teams"
            )
        m["data_class_violation_share"] = _share("data_class_violation_share", usage.dc_bad, usage.dc_n)
        mix = scope.mix
        new_use_cases = sorted(uc for uc in mix if base_mix and uc not in base_mix)
        m["use_case_drift_js"] = _result(
            "use_case_drift_js", js_distance(mix, base_mix), scope.n, None,
            baseline_weeks=baseline_names, baseline_complete=len(baseline) >= settings.baseline_weeks,
            in_baseline=w in baseline, new_use_cases=new_use_cases, estimate=scope.estimate,
        )  # fmt: skip
        labelled_n = int(sum(scope.labelled_mix.values()))
        m["use_case_drift_js"].labelled_part = _result(
            "use_case_drift_js", js_distance(scope.labelled_mix, base_labelled), labelled_n, None
        )
        total, cost_extra = weekly_cost(raw.cost.get(w, {}), usage, settings.prices, settings.currency)
        costs[w] = total
        m["cost_total"] = _result("cost_total", total, events, **cost_extra)
        m["cost_per_event"] = _result(
            "cost_per_event", total / events if total is not None and events > 0 else None, events
        )
        accept = m["acceptance_rate"].value
        accepted_outputs = events * accept if accept is not None else None
        m["cost_per_accepted_output"] = _result(
            "cost_per_accepted_output",
            total / accepted_outputs if total is not None and accepted_outputs else None,
            fb.accepted_n,
            accepted_outputs=_r(accepted_outputs),
        )
        budget = deployment.weekly_budget
        m["budget_burn"] = _result(
            "budget_burn",
            total / budget if total is not None and budget else None,
            events,
            weekly_budget=budget,
        )
        previous = [costs.get(p) or 0.0 for p in range(max(first, w - 4), w)]
        mean_prev = sum(previous) / len(previous) if previous else None
        m["cost_wow_change"] = _result(
            "cost_wow_change", total / mean_prev - 1 if mean_prev and total is not None else None, len(previous),
            previous_mean=_r(mean_prev),
        )  # fmt: skip
        for name, count in (
            ("incidents_opened", inc.incidents_opened),
            ("open_incidents", inc.open_incidents),
            ("open_high_severity_incidents", inc.open_high_severity_incidents),
            ("overdue_serious_incidents", inc.overdue_serious_incidents),
            ("serious_incidents_due_soon", inc.serious_incidents_due_soon),
        ):
            m[name] = _result(name, count, count)
        resolved, days = inc.resolved_n, inc.resolve_days_sum
        m["mean_days_to_resolve"] = _result(
            "mean_days_to_resolve", days / resolved if resolved and days is not None else None, resolved
        )
        m["pii_share"] = _share("pii_share", usage.pii_n, usage.text_n)
        if raw.has_training:
            m["untrained_use_share"] = _share("untrained_use_share", usage.untrained, events)
        else:  # unknown, not 100% untrained (DESIGN §15)
            m["untrained_use_share"] = _result(
                "untrained_use_share", None, events, None, note="no training records loaded"
            )
        out[w] = ({metric.name: m[metric.name] for metric in METRICS}, new_use_cases)
    return out
