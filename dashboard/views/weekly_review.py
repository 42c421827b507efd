"""Weekly review: the meeting's one screen (DESIGN §10), top to bottom — header, recommendation,
category tiles, alerts, out-of-scope requests, open incidents, changes, the decision form and the
review pack. It reads its pickers, calls `dashboard.data`, renders; no SQL, no metric logic."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, fmt, state, tables, widgets
from metrics.catalog import BY_NAME


def _header(review: dict[str, Any]) -> None:
    info = review.get("deployment_info") or {}
    st.title(f"{info.get('name') or review['deployment']} · {fmt.week_label(review['week'])}")
    tier = str(info.get("risk_tier", "")).upper()
    st.markdown(
        f"risk **{tier}** · owner **{info.get('owner', '—')}** · status {info.get('status', '—')} · "
        f"deployment `{review['deployment']}`"
    )
    teams = ", ".join(info.get("approved_teams") or []) or "any team"
    budget = info.get("weekly_budget")
    st.caption(
        f"Approved: {', '.join(info.get('approved_use_cases') or []) or '—'} · teams {teams} · "
        f"max data: {info.get('max_data_class', '—')}"
        + (f" · weekly budget {fmt.money(budget, data.ctx().settings.currency)}" if budget else "")
    )


def _recommendation(review: dict[str, Any]) -> None:
    rec = review.get("recommendation") or {}
    action = str(rec.get("action", "continue"))
    reasons = [str(r.get("text") or r.get("rule") or r) for r in rec.get("reasons") or []]
    body = f"#### Recommendation: {action.upper()}\n" + "\n".join(f"- {r}" for r in reasons)
    box = {
        "expand": st.success,
        "continue": st.info,
        "limit": st.warning,
        "pause": st.error,
        "stop": st.error,
    }
    icons = {
        "expand": "trending_up",
        "continue": "arrow_forward",
        "limit": "front_hand",
        "pause": "pause_circle",
        "stop": "block",
    }
    box.get(action, st.info)(body or action, icon=f":material/{icons.get(action, 'info')}:")


def _tiles(review: dict[str, Any], spark: pd.DataFrame) -> None:
    currency = data.ctx().settings.currency
    metrics = review.get("metrics") or {}
    cols = st.columns(len(fmt.TILES))
    for col, (category, headline, extra) in zip(cols, fmt.TILES, strict=True):
        m = metrics.get(headline) or {}
        status = fmt.category_status(review, category)
        values = spark[spark["metric"] == headline].sort_values("week")["value"] if len(spark) else []
        chart = [None if fmt.missing(v) else float(v) for v in values]
        delta = fmt.delta(headline, m.get("value"), m.get("previous"), currency)
        with col.container(border=True):
            st.markdown(f"**{category.upper()}** {fmt.STATUS_BADGE.get(status, '')}")
            st.metric(
                fmt.short(headline),
                fmt.value(headline, m.get("value"), currency),
                delta="0" if fmt.is_zero_delta(delta) else delta,
                delta_color=fmt.delta_color(headline),  # type: ignore[arg-type]
                chart_data=chart if any(v is not None for v in chart) else None,
                help=f"{headline}: {BY_NAME[headline].definition}. Change vs last week; sparkline: last 8 weeks.",
            )
            lines = [
                f"{fmt.short(n)} **{fmt.value(n, (metrics.get(n) or {}).get('value'), currency).replace(' of budget', '')}**"
                f" {fmt.STATUS_BADGE.get((metrics.get(n) or {}).get('status', ''), '')}"
                for n in extra
                if n in metrics
            ]
            st.caption("  \n".join(lines))


def _alerts(review: dict[str, Any]) -> None:
    alerts = review.get("alerts") or []
    st.subheader(f"Alerts ({len(alerts)})")
    if not alerts:
        st.success(
            "No alerts this week: every metric with a threshold is within it (or has too few data to judge)."
        )
        return
    currency = data.ctx().settings.currency
    metrics = review.get("metrics") or {}
    rows = [
        {
            "level": a.get("level", ""),
            "metric": a.get("metric"),
            "value (n, CI)": fmt.with_n(
                a.get("metric", ""), metrics.get(a.get("metric"), {"value": a.get("value")}), currency
            ),
            "threshold": fmt.threshold_text(a),
            "since": fmt.since_text(a),
        }
        for a in alerts
    ]
    st.dataframe(
        tables.styled(pd.DataFrame(rows), strong_columns=("level",)), hide_index=True, width="stretch"
    )


def _scope_and_incidents(review: dict[str, Any]) -> None:
    left, right = st.container(), st.container()
    with left:
        examples = review.get("out_of_scope_examples") or []
        st.subheader("Outside the approved use")
        if not examples:
            st.caption("No requests outside the approved use cases this week.")
        else:
            rows = [
                {
                    "use case": ex.get("use_case"),
                    "how known": ex.get("source"),
                    "requests": ex.get("events"),
                    "examples": " · ".join(f"“{t}”" for t in (ex.get("examples") or [])[:3]),
                }
                for ex in examples
            ]
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    with right:
        incidents = review.get("open_incidents") or []
        st.subheader(f"Open incidents ({len(incidents)})")
        if not incidents:
            st.caption("No open incidents.")
        else:
            rows = [
                {
                    "incident": i.get("incident_id"),
                    "severity": i.get("severity"),
                    "title": i.get("title"),
                    "opened": fmt.as_date(i.get("opened_at")),
                    "reporting deadline": fmt.deadline_text(i),
                }
                for i in incidents
            ]
            frame = pd.DataFrame(rows)
            urgency = pd.Series(
                [
                    "critical"
                    if i.get("overdue")
                    else ("warn" if i.get("serious") and not i.get("reported_at") else "")
                    for i in incidents
                ],
                index=frame.index,
            )
            st.dataframe(
                tables.styled(
                    frame, strong_columns=(), soft_by={"reporting deadline": urgency, "incident": urgency}
                ),
                hide_index=True,
                width="stretch",
            )


def _changes(review: dict[str, Any]) -> None:
    changes = review.get("changes") or []
    st.subheader(f"Changes this week ({len(changes)})")
    if not changes:
        st.caption("No model, prompt, policy or other change records this week.")
        return
    rows = [
        {
            "when": str(c.get("ts", ""))[:16],
            "kind": c.get("kind"),
            "summary": c.get("summary"),
            "changed by": c.get("changed_by"),
            "approved by": c.get("approved_by") or "not recorded",
        }
        for c in changes
    ]
    frame = pd.DataFrame(rows)
    missing = frame["approved by"].map(lambda v: "critical" if v == "not recorded" else "")
    st.dataframe(tables.styled(frame, soft_by={"approved by": missing}), hide_index=True, width="stretch")


def render() -> None:
    deployment, week = state.selected_deployment(), state.selected_week()
    if not deployment or not week:
        st.info("Choose a deployment and a week in the sidebar.")
        return
    review = data.review(deployment, week)
    spark_weeks = [w for w in data.weeks(deployment) if w <= week][:8]
    headlines = [h for _, h, _ in fmt.TILES]
    spark = data.trend(deployment, headlines, min(spark_weeks), week) if spark_weeks else pd.DataFrame()
    _header(review)
    _recommendation(review)
    _tiles(review, spark)
    _alerts(review)
    _scope_and_incidents(review)
    _changes(review)
    st.divider()
    widgets.decision_form(review)
    widgets.pack_download(review)


state.page(render)
