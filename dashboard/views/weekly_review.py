"""Weekly review: the meeting's one screen (DESIGN §10), top to bottom — header, recommendation, the
readiness marks and the operating mode (with a pause's acknowledgement and checklist), category tiles,
alerts, out-of-scope requests, open incidents, changes, the decision form and the review pack. It
reads its pickers, calls `dashboard.data`, renders; no SQL, no metric logic."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, operating, state, tables, widgets
from metrics.model import Review
from postlaunch import fmt
from postlaunch.catalog import BY_NAME
from report import layout

_BOX = {"expand": st.success, "continue": st.info, "limit": st.warning, "pause": st.error, "stop": st.error}
_ICON = {
    "expand": "trending_up",
    "continue": "arrow_forward",
    "limit": "front_hand",
    "pause": "pause_circle",
    "stop": "block",
}


def _header(review: Review) -> None:
    info = review.deployment_info
    st.title(f"{info.name} · {fmt.week_label(review.week)}")
    st.markdown(
        f"risk **{info.risk_tier.upper()}** · owner **{info.owner}** · status {info.status} · "
        f"deployment `{review.deployment}`"
    )
    teams = ", ".join(info.approved_teams) or "any team"
    budget = (
        f" · weekly budget {fmt.money(info.weekly_budget, review.currency)}" if info.weekly_budget else ""
    )
    st.caption(
        f"Approved: {', '.join(info.approved_use_cases)} · teams {teams} · max data: {info.max_data_class}{budget}"
    )


def _recommendation(review: Review) -> None:
    rec = review.recommendation
    action = rec.action if rec else "continue"
    reasons = [r.text for r in rec.reasons] if rec else []
    body = f"#### Recommendation: {action.upper()}\n" + "\n".join(f"- {r}" for r in reasons)
    _BOX.get(action, st.info)(body, icon=f":material/{_ICON.get(action, 'info')}:")


def _tiles(review: Review, spark: pd.DataFrame) -> None:
    currency, metrics = review.currency, review.metrics
    cols = st.columns(len(layout.TILES))
    for col, (category, headline, extra) in zip(cols, layout.TILES, strict=True):
        m = metrics[headline]
        status = layout.category_status(dict(metrics), category)
        values = spark[spark["metric"] == headline].sort_values("week")["value"] if len(spark) else []
        chart = [None if fmt.missing(v) else float(v) for v in values]
        delta = fmt.delta(headline, m.value, m.previous, currency)
        absent = layout.not_loaded(review.feeds, headline, m.value)
        with col.container(border=True):
            st.markdown(f"**{category.upper()}** {tables.STATUS_BADGE.get(status, '')}")
            st.metric(
                fmt.short(headline),
                "no data" if absent else fmt.value(headline, m.value, currency),
                delta="0" if fmt.is_zero_delta(delta) else delta,
                delta_color=layout.delta_color(headline),  # type: ignore[arg-type]
                chart_data=chart if any(v is not None for v in chart) else None,
                help=f"{headline}: {BY_NAME[headline].definition}. Change vs last week; sparkline: last 8 weeks.",
            )
            lines = [absent] if absent else []
            if category == "risk" and "incidents" in layout.absent_kinds(review.feeds):
                lines.append("no incident data loaded")
            if category == "cost":
                note = layout.cost_note(m.usage_cost_source, m.unpriced_models)
                lines += [note] if note else []
            lines += [
                f"{fmt.short(n)} **{fmt.value(n, metrics[n].value, currency).replace(' of budget', '')}**"
                f" {tables.STATUS_BADGE.get(metrics[n].status, '')}"
                for n in extra
                if n in metrics and not layout.not_loaded(review.feeds, n, metrics[n].value)
            ]
            st.caption("  \n".join(lines))


def _alerts(review: Review) -> None:
    st.subheader(f"Alerts ({len(review.alerts)})")
    if not review.alerts:
        st.success(
            "No alerts this week: every metric with a threshold is within it (or has too few data to judge)."
        )
        return
    rows = []
    for a in review.alerts:
        m = review.metrics.get(a.metric)
        n, ci = (m.n, m.ci) if m else (a.n, a.ci)
        rows.append(
            {
                "level": a.level,
                "metric": a.metric,
                "value (n, CI)": fmt.with_n(a.metric, a.value, n, ci, review.currency),
                "threshold": fmt.threshold_text(a.metric, a.level, a.threshold),
                "since": fmt.since_text(a.weeks_in_a_row, a.since),
            }
        )
    st.dataframe(
        tables.styled(pd.DataFrame(rows), strong_columns=("level",)), hide_index=True, width="stretch"
    )


def _scope(review: Review) -> None:
    st.subheader("Outside the approved use")
    metric = review.metric("out_of_scope_share")
    how = fmt.estimate_text(metric.estimate, metric.estimate_basis) if metric is not None else None
    if how:
        st.caption(f"How the out-of-scope share was made: {how}")
    if not review.out_of_scope_examples:
        st.caption("No requests outside the approved use cases this week.")
        return
    rows = [
        {
            "use case": ex.use_case,
            "how known": ex.source,
            "requests": ex.events,
            "examples": " · ".join(f"“{t}”" for t in ex.examples[:3]),
        }
        for ex in review.out_of_scope_examples
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _incidents(review: Review) -> None:
    incidents = review.open_incidents
    st.subheader(f"Open incidents ({len(incidents)})")
    if not incidents:
        st.caption("No open incidents.")
        return
    rows = [
        {
            "incident": i.incident_id,
            "severity": i.severity,
            "title": i.title,
            "opened": fmt.as_date(i.opened_at),
            "reporting deadline": fmt.deadline_text(i),
        }
        for i in incidents
    ]
    frame = pd.DataFrame(rows)
    urgency = pd.Series(
        ["critical" if i.overdue else ("warn" if i.serious and not i.reported_at else "") for i in incidents],
        index=frame.index,
    )
    st.dataframe(
        tables.styled(frame, soft_by={"reporting deadline": urgency, "incident": urgency}),
        hide_index=True,
        width="stretch",
    )


def _changes(review: Review) -> None:
    st.subheader(f"Changes this week ({len(review.changes)})")
    if not review.changes:
        st.caption("No model, prompt, policy or other change records this week.")
        return
    rows = [
        {
            "when": (c.ts or "")[:16],
            "kind": c.kind,
            "summary": c.summary,
            "changed by": c.changed_by,
            "approved by": c.approved_by or "not recorded",
        }
        for c in review.changes
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
    headlines = [h for _, h, _ in layout.TILES]
    spark = data.trend(deployment, headlines, min(spark_weeks), week) if spark_weeks else pd.DataFrame()
    _header(review)
    _recommendation(review)
    operating.readiness_row(review)
    operating.operating_status(review)
    _tiles(review, spark)
    _alerts(review)
    _scope(review)
    _incidents(review)
    _changes(review)
    st.divider()
    widgets.decision_form(review)
    widgets.pack_download(review)


state.page(render)
