"""The weekly review of one deployment (DESIGN §9 JSON): metrics, alerts, recommendation, open
incidents, out-of-scope examples and changes of one week, as a typed `Review`. No wall-clock time
enters it, so the same database gives the same review.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from metrics.history import build_history
from metrics.model import (
    ChangeRecord,
    DeploymentInfo,
    FeedSpan,
    GeneratedFrom,
    History,
    OpenIncident,
    Period,
    Review,
    ScopeExample,
    WeekResult,
)
from metrics.queries import RawData, current_week_index, load_raw, load_spans, run
from postlaunch import weeks as wk
from postlaunch.config import Context
from postlaunch.errors import PostlaunchError
from postlaunch.registry import Deployment
from postlaunch.rules import DUE_SOON_DAYS


def iso_utc(ts: datetime | None) -> str | None:
    """A stored naive-UTC timestamp as ISO 8601 with a Z."""
    return None if ts is None else ts.replace(microsecond=0).isoformat() + "Z"


def reviewable(dep: Deployment, raw: RawData, current: int | None) -> tuple[int, int] | None:
    """The first and last week index a review of `dep` may show (DESIGN §19): from its launch week or its
    first record, whichever is earlier, to the organization's current week or its last record, whichever
    is later. None when nothing anywhere has data yet."""
    if current is None and raw.last_week is None:
        return None
    launch = wk.index_of_monday(dep.launched - timedelta(days=dep.launched.weekday()))
    first = launch if raw.first_week is None else min(launch, raw.first_week)
    last = max(w for w in (current, raw.last_week) if w is not None)
    return (first, last) if first <= last else None


def resolve_week(week: str | None, span: tuple[int, int] | None, subject: str) -> str:
    """The week to show: the given one (validated, must be reviewable) or the latest reviewable one."""
    if span is None:
        raise PostlaunchError(
            f"no data for {subject} yet: load usage, cost or feedback with `postlaunch ingest KIND FILE`"
        )
    first, last = (wk.week_of_index(i) for i in span)
    if week is None:
        return last
    canonical = wk.format_week(wk.parse_week(week))
    if not span[0] <= wk.week_index(canonical) <= span[1]:
        raise PostlaunchError(
            f"week {canonical} cannot be reviewed for {subject}: reviewable weeks are {first} (its launch or "
            f"first record) to {last} (the latest week with data)"
        )
    return canonical


def feeds(raw: RawData) -> dict[str, FeedSpan]:
    """Which kinds of record the deployment has, and their first and last week."""
    return {
        kind: FeedSpan(first_week=wk.week_of_index(first), last_week=wk.week_of_index(last))
        for kind, (first, last) in sorted(raw.spans.items())
    }


def deployment_info(dep: Deployment) -> DeploymentInfo:
    return DeploymentInfo(
        name=dep.name,
        owner=dep.owner,
        risk_tier=dep.risk_tier,
        status=dep.status,
        approved_use_cases=list(dep.approved_use_cases),
        approved_teams=list(dep.approved_teams),
        max_data_class=dep.max_data_class,
        weekly_budget=dep.weekly_budget,
        launched=dep.launched.isoformat(),
    )


def open_incidents(conn: duckdb.DuckDBPyConnection, ctx: Context, dep: str, week: str) -> list[OpenIncident]:
    """Incidents open at the week's end, and serious ones not yet reported, with their deadlines."""
    _start, end = wk.week_bounds(week, ctx.settings.timezone)
    rows = run(
        conn,
        "open_incidents",
        {"deployment": dep, "end": end, "deadline_days": ctx.settings.reporting_deadline_days},
    )
    out = []
    for r in rows:
        deadline = r["deadline"]
        reported_by_end = r["reported_at"] is not None and r["reported_at"] < end
        out.append(
            OpenIncident(
                incident_id=r["incident_id"],
                severity=r["severity"],
                category=r["category"],
                status=r["status"],
                title=r["title"],
                opened_at=iso_utc(r["opened_at"]),
                serious=bool(r["serious"]),
                aware_at=iso_utc(r["aware_at"]),
                deadline=iso_utc(deadline),
                reported_at=iso_utc(r["reported_at"]),
                resolved_at=iso_utc(r["resolved_at"]),
                open=bool(r["open_then"]),
                overdue=bool(deadline is not None and deadline < end and not reported_by_end),
                days_to_deadline=None
                if deadline is None or reported_by_end
                else round((deadline - end).total_seconds() / 86400, 1),
                serious_kind=r["serious_kind"],
                deadline_days=r["deadline_days"],
                due_soon=bool(
                    deadline is not None
                    and not reported_by_end
                    and end <= deadline < end + timedelta(days=DUE_SOON_DAYS)
                ),
            )
        )
    return out


def out_of_scope_examples(
    conn: duckdb.DuckDBPyConnection, ctx: Context, dep: Deployment, week: str
) -> list[ScopeExample]:
    start, end = wk.week_bounds(week, ctx.settings.timezone)
    rows = run(
        conn,
        "out_of_scope_examples",
        {
            "deployment": dep.id,
            "wk": wk.week_index(week),
            "start": start,
            "end": end,
            "approved": list(dep.approved_use_cases),
        },
    )
    return [
        ScopeExample(
            use_case=r["use_case"], source=r["source"], events=int(r["events"]), examples=list(r["examples"])
        )
        for r in rows
    ]


def week_changes(conn: duckdb.DuckDBPyConnection, ctx: Context, dep: str, week: str) -> list[ChangeRecord]:
    start, end = wk.week_bounds(week, ctx.settings.timezone)
    rows = run(conn, "week_changes", {"deployment": dep, "start": start, "end": end})
    return [ChangeRecord(**{**r, "ts": iso_utc(r["ts"])}) for r in rows]


def review_of(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    dep: Deployment,
    history: History,
    result: WeekResult,
    raw: RawData,
) -> Review:
    """The review of one week of `history`, built from the deployment's weekly aggregates `raw`."""
    data_weeks = sorted(wk.week_of_index(w) for w, u in raw.usage.items() if u.events > 0)
    period = wk.period(result.week)
    return Review(
        deployment=dep.id,
        week=result.week,
        period=Period(start=period["start"], end=period["end"]),
        metrics=dict(result.metrics),
        alerts=list(result.alerts),
        recommendation=result.recommendation,
        readiness=list(result.readiness),
        open_incidents=open_incidents(conn, ctx, dep.id, result.week),
        out_of_scope_examples=out_of_scope_examples(conn, ctx, dep, result.week),
        changes=week_changes(conn, ctx, dep.id, result.week),
        deployment_info=deployment_info(dep),
        new_use_cases=list(result.new_use_cases),
        baseline_weeks=list(history.baseline_weeks),
        weeks_of_data=result.weeks_of_data,
        currency=ctx.settings.currency,
        generated_from=GeneratedFrom(
            first_week=data_weeks[0] if data_weeks else None,
            last_week=data_weeks[-1] if data_weeks else None,
            timezone=ctx.settings.timezone,
        ),
        feeds=feeds(raw),
    )


def build_review(
    conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str, week: str | None = None
) -> Review:
    """The DESIGN §9 review of `deployment` for `week` (default: the latest reviewable week, the
    organization's current week unless the deployment's own records go further)."""
    dep = ctx.registry.get(deployment)
    raw = load_raw(conn, ctx.settings, [dep])[dep.id]
    current = current_week_index(load_spans(conn, ctx.settings, ctx.registry.ids))
    chosen = resolve_week(week, reviewable(dep, raw, current), f"deployment {dep.id!r}")
    history = build_history(dep, raw, ctx.settings, until=wk.week_index(chosen))
    result = history.get(chosen)
    if result is None:  # cannot happen: a reviewable week is always in the history
        raise PostlaunchError(f"week {chosen} is missing from the history of {dep.id}")
    return review_of(conn, ctx, dep, history, result, raw)
