"""The façade of metrics/: weeks with data, a deployment's history, the weekly review, the check of
every deployment, the portfolio table and metric trends. Connections are passed in; nothing here
writes, renders or reads the environment (the Context carries settings and registry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from metrics.history import build_history
from metrics.model import Alert, CheckRow, History, MetricResult, PortfolioRow, WeekResult
from metrics.queries import RawData, current_week_index, latest_week_index, load_raw, load_spans, run
from metrics.review import build_review, reviewable
from postlaunch import rollup
from postlaunch import weeks as wk
from postlaunch.catalog import BY_NAME
from postlaunch.config import Context
from postlaunch.decisions import review_overdue
from postlaunch.errors import PostlaunchError
from postlaunch.registry import Deployment

__all__ = [
    "available_weeks",
    "latest_week",
    "deployment_history",
    "build_review",
    "check",
    "portfolio",
    "trend",
    "History",
    "WeekResult",
]

LEVEL_ORDER = {"critical": 0, "warn": 1, "unknown": 2, "ok": 3}
ACTION_ORDER = {"stop": 0, "pause": 1, "limit": 2, "continue": 3, "expand": 4, None: 5}


def _deployments(ctx: Context, deployment: str | None) -> list[Deployment]:
    if deployment is not None:
        return [ctx.registry.get(deployment)]
    return [ctx.registry.deployments[i] for i in ctx.registry.ids]


def available_weeks(
    conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str | None = None
) -> list[str]:
    """ISO weeks a review can show, ascending: of one deployment, from its launch or first record to the
    organization's current week (a week after its feed stopped is reviewable); of every deployment, from
    the first record of any to the current week."""
    rollup.check_current(conn, ctx.settings.timezone)
    spans = load_spans(conn, ctx.settings, ctx.registry.ids)
    current = current_week_index(spans)
    if deployment is not None:
        dep = ctx.registry.get(deployment)
        span = reviewable(dep, RawData(spans=spans[dep.id]), current)
    else:
        firsts = [first for kinds in spans.values() for first, _ in kinds.values()]
        span = (min(firsts), current) if firsts and current is not None else None
    return [] if span is None else [wk.week_of_index(i) for i in range(span[0], span[1] + 1)]


def latest_week(conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str | None = None) -> str | None:
    """The latest week a review can show (of one deployment, or of any), or None without data."""
    weeks = available_weeks(conn, ctx, deployment)
    return weeks[-1] if weeks else None


def deployment_history(
    conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str, until_week: str | None = None
) -> History:
    """Every week of `deployment` from its first record to `until_week` (default: its last week with a
    record): metrics with statuses, alerts and the recommendation of each week."""
    dep = ctx.registry.get(deployment)
    until = wk.week_index(until_week) if until_week is not None else None
    raw = load_raw(conn, ctx.settings, [dep], until)[dep.id]
    return build_history(dep, raw, ctx.settings, until=until)


@dataclass
class _Checked:
    history: History
    raw: RawData


def _histories(
    conn: duckdb.DuckDBPyConnection, ctx: Context, deps: list[Deployment], week: str | None
) -> tuple[str | None, dict[str, _Checked]]:
    """The week to judge (given, else the current week of the deployments checked) and each one's history."""
    if week is not None:
        target: str | None = wk.format_week(wk.parse_week(week))
        raw = load_raw(conn, ctx.settings, deps, wk.week_index(week))
    else:
        raw = load_raw(conn, ctx.settings, deps, until_latest=True)
        current = latest_week_index(raw)
        target = wk.week_of_index(current) if current is not None else None
    until = wk.week_index(target) if target is not None else None
    return target, {
        d.id: _Checked(build_history(d, raw[d.id], ctx.settings, until=until), raw[d.id]) for d in deps
    }


def _week_result(checked: _Checked, week: str | None) -> tuple[WeekResult | None, str | None]:
    """The week's result, or None and why it cannot be judged."""
    if week is None:
        return None, "no data at all"
    if checked.raw.first_week is None:
        return None, "no usage, cost or feedback data loaded for it"
    result = checked.history.get(week)
    if result is None:
        return None, f"its first record is after {week}"
    return result, None


def _counts(alerts: list[Alert]) -> tuple[int, int]:
    """(critical, warn) alerts."""
    return sum(1 for a in alerts if a.level == "critical"), sum(1 for a in alerts if a.level == "warn")


def check(
    conn: duckdb.DuckDBPyConnection, ctx: Context, week: str | None = None, deployment: str | None = None
) -> list[CheckRow]:
    """Per deployment: its level (ok, warn, critical, or unknown when it has no data at all), alert counts,
    alerts and recommendation. The week defaults to the current week of the deployments checked (the
    latest with usage events); a deployment whose usage stopped before it is judged on that week, where
    `usage_feed_gap` alerts."""
    deps = _deployments(ctx, deployment)
    target, histories = _histories(conn, ctx, deps, week)
    out: list[CheckRow] = []
    for dep in deps:
        result, note = _week_result(histories[dep.id], target)
        if result is None:
            out.append(CheckRow(deployment=dep.id, week=target, level="unknown", critical=0, warn=0,
                                alerts=[], recommendation=None, note=note))  # fmt: skip
            continue
        critical, warn = _counts(result.alerts)
        out.append(CheckRow(deployment=dep.id, week=target, level=result.level, critical=critical, warn=warn,
                            alerts=result.alerts, recommendation=result.recommendation, note=None))  # fmt: skip
    return out


def portfolio(
    conn: duckdb.DuckDBPyConnection, ctx: Context, week: str | None = None, today: date | None = None
) -> list[PortfolioRow]:
    """One row per deployment for the Portfolio page: overdue reviews first (as of `today`, default
    today in the configured zone), then worst first (level, then the recommendation's severity, then
    critical and warn counts, then id)."""
    deps = _deployments(ctx, None)
    target, histories = _histories(conn, ctx, deps, week)
    decisions = (
        {r["deployment"]: r for r in run(conn, "last_decisions", {"ids": [d.id for d in deps]})}
        if deps
        else {}
    )
    today = today or datetime.now(ZoneInfo(ctx.settings.timezone)).date()
    rows = []
    for dep in deps:
        result, _ = _week_result(histories[dep.id], target)
        metrics = result.metrics if result else {}

        def value(name: str, m: dict[str, MetricResult] = metrics) -> Any:
            return m[name].value if name in m else None

        def status(name: str, m: dict[str, MetricResult] = metrics) -> Any:
            return m[name].status if name in m else None

        critical, warn = _counts(result.alerts) if result else (0, 0)
        decision = decisions.get(dep.id)
        next_review: date | None = decision["next_review"] if decision else None
        rows.append(
            PortfolioRow(
                deployment=dep.id,
                week=target,
                level=result.level if result else "unknown",
                name=dep.name,
                owner=dep.owner,
                risk_tier=dep.risk_tier,
                status=dep.status,
                recommendation=result.recommendation.action if result and result.recommendation else None,
                critical_alerts=critical,
                warn_alerts=warn,
                events=value("events"),
                events_wow_change=value("events_wow_change"),
                usage_feed_gap=value("usage_feed_gap"),
                acceptance_rate=value("acceptance_rate"),
                acceptance_status=status("acceptance_rate"),
                out_of_scope_share=value("out_of_scope_share"),
                out_of_scope_status=status("out_of_scope_share"),
                cost_total=value("cost_total"),
                weekly_budget=dep.weekly_budget,
                budget_burn=value("budget_burn"),
                budget_status=status("budget_burn"),
                currency=ctx.settings.currency,
                last_decision=decision["decision"] if decision else None,
                last_decision_week=decision["week"] if decision else None,
                next_review=next_review.isoformat() if next_review else None,
                review_overdue=review_overdue(next_review, today),
            )
        )
    rows.sort(
        key=lambda r: (
            not r.review_overdue,
            LEVEL_ORDER[r.level],
            ACTION_ORDER.get(r.recommendation, 5),
            -r.critical_alerts,
            -r.warn_alerts,
            r.deployment,
        )
    )
    return rows


TREND_COLUMNS = ["week", "metric", "value", "ci_low", "ci_high", "n", "status", "warn", "critical"]


def trend(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    deployment: str,
    metrics: list[str],
    start_week: str | None = None,
    end_week: str | None = None,
) -> pd.DataFrame:
    """Long frame (week, metric, value, ci_low, ci_high, n, status, warn, critical) of the given metrics
    over the deployment's weeks within start_week..end_week (both optional, inclusive)."""
    unknown = [m for m in metrics if m not in BY_NAME]
    if unknown:
        raise PostlaunchError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    dep = ctx.registry.get(deployment)
    end = wk.week_index(end_week) if end_week is not None else None
    raw = load_raw(conn, ctx.settings, [dep], end)[dep.id]
    start = wk.week_index(start_week) if start_week is not None else None
    history = build_history(dep, raw, ctx.settings, until=end)
    rows = []
    for result in history.weeks:
        if start is not None and wk.week_index(result.week) < start:
            continue
        for name in metrics:
            m = result.metrics[name]
            rows.append(
                {
                    "week": result.week,
                    "metric": name,
                    "value": None if m.value is None else float(m.value),
                    "ci_low": m.ci[0] if m.ci else None,
                    "ci_high": m.ci[1] if m.ci else None,
                    "n": m.n,
                    "status": m.status,
                    "warn": m.warn,
                    "critical": m.critical,
                }
            )
    frame = pd.DataFrame(rows, columns=TREND_COLUMNS)
    return frame.astype(
        {
            "value": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
            "warn": "float64",
            "critical": "float64",
        }
    )
