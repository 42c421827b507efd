"""Portfolio: every deployment this week in one table, worst first — status, recommendation, alert
counts, key numbers, last decision and next review (overdue flagged). Selecting a row opens its
Weekly review. It reads `dashboard.data`, renders; no SQL, no metric logic."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, state, tables
from metrics.model import PortfolioRow
from postlaunch import fmt
from postlaunch.catalog import ACTIONS

TABLE_KEY = "portfolio-table"


def _alerts(critical: int, warn: int) -> str:
    parts = [f"{critical} critical" if critical else "", f"{warn} warn" if warn else ""]
    return ", ".join(p for p in parts if p) or "none"


def _events(row: PortfolioRow) -> str:
    """Usage events and their change, or how long the usage feed has been silent."""
    if row.usage_feed_gap:
        return f"none for {fmt.plural(row.usage_feed_gap, 'week')}"
    change = row.events_wow_change
    return fmt.value("events", row.events) + (
        f" ({fmt.value('events_wow_change', change)})" if change is not None else ""
    )


def table(rows: list[PortfolioRow], week: str) -> pd.DataFrame:
    """The portfolio rows as the page shows them, in the api's order (worst first)."""
    out = []
    for row in rows:
        cost = fmt.value("cost_total", row.cost_total, row.currency)
        if row.weekly_budget and row.budget_burn is not None:
            cost += f" / {fmt.money(row.weekly_budget, row.currency)} ({row.budget_burn * 100:.0f}%)"
        out.append(
            {
                "status": row.level,
                "deployment": row.name,
                "owner": row.owner,
                "tier": row.risk_tier,
                "recommendation": (row.recommendation or "no data").upper(),
                "alerts": _alerts(row.critical_alerts, row.warn_alerts),
                "events": _events(row),
                "acceptance": fmt.value("acceptance_rate", row.acceptance_rate),
                "out of scope": fmt.value("out_of_scope_share", row.out_of_scope_share),
                "cost vs budget": cost,
                "last decision": f"{row.last_decision} ({row.last_decision_week})"
                if row.last_decision
                else "none yet",
                "next review": (row.next_review or "—") + (" OVERDUE" if row.review_overdue else ""),
                "link": f"./review?deployment={row.deployment}&week={week}",
            }
        )
    return pd.DataFrame(out)


def _open_selected() -> None:
    """Row selection callback: make the selected deployment the sidebar's deployment."""
    selection = st.session_state.get(TABLE_KEY)
    rows = st.session_state.get("_portfolio_ids", [])
    try:
        picked = selection.selection.rows  # type: ignore[union-attr]
    except AttributeError:
        return
    if picked and picked[0] < len(rows):
        # The sidebar picker is bound to the URL: set it here (a callback runs before the widget is
        # drawn), and the Weekly review link below opens with it.
        st.session_state[state.DEPLOYMENT_KEY] = rows[picked[0]]


def render() -> None:
    week = state.selected_week()
    st.title("Portfolio")
    if not week:
        st.info("Choose a week in the sidebar.")
        return
    st.caption(
        f"Every deployment in {fmt.week_label(week)}, worst first. Select a row (or its link) to open its "
        "Weekly review. The dashboard recommends; the owner decides."
    )
    rows = data.portfolio(week)
    ids = [r.deployment for r in rows]
    shown = table(rows, week)
    if not len(shown):
        st.info("No deployments in the registry.")
        return
    st.session_state["_portfolio_ids"] = ids
    actions = shown["recommendation"].str.lower().value_counts().to_dict()
    cols = st.columns(5)
    for col, action in zip(cols, ACTIONS, strict=True):
        col.metric(action.title(), actions.get(action, 0))
    overdue = sum(1 for r in rows if r.review_overdue)
    if overdue:
        st.warning(
            f"{overdue} review(s) overdue: the next review date recorded with the last decision has passed."
        )
    statuses = pd.DataFrame([r.model_dump() for r in rows])
    st.dataframe(
        tables.styled(
            shown,
            strong_columns=("status", "recommendation"),
            soft_by={
                "acceptance": statuses["acceptance_status"],
                "out of scope": statuses["out_of_scope_status"],
                "cost vs budget": statuses["budget_status"],
                "next review": statuses["review_overdue"].map({True: "critical", False: ""}),
                "alerts": pd.Series(
                    [
                        "critical" if c else ("warn" if w else "")
                        for c, w in zip(statuses["critical_alerts"], statuses["warn_alerts"], strict=True)
                    ],
                    index=statuses.index,
                ),
            },
        ),
        hide_index=True,
        width="stretch",
        on_select=_open_selected,
        selection_mode="single-row",
        key=TABLE_KEY,
        column_order=[
            "status",
            "deployment",
            "recommendation",
            "alerts",
            "events",
            "acceptance",
            "out of scope",
            "cost vs budget",
            "last decision",
            "next review",
            "owner",
            "tier",
            "link",
        ],
        column_config={
            "link": st.column_config.LinkColumn("review", display_text="open ›", width="small"),
            "status": st.column_config.TextColumn("status", width="small"),
            "tier": st.column_config.TextColumn("tier", width="small"),
            "alerts": st.column_config.TextColumn("alerts", help="critical and warn alerts this week"),
            "recommendation": st.column_config.TextColumn("recommends"),
            "events": st.column_config.TextColumn("events (chg)", help="usage events; change vs last week"),
            "acceptance": st.column_config.TextColumn("accept.", width="small", help="acceptance rate"),
            "out of scope": st.column_config.TextColumn("out of scope", width="small"),
            "cost vs budget": st.column_config.TextColumn(
                "cost / budget", help="cost this week / weekly budget"
            ),
            "last decision": st.column_config.TextColumn("last decision"),
            "next review": st.column_config.TextColumn("next review"),
        },
    )
    chosen = state.selected_deployment()
    if chosen in ids:
        name = shown["deployment"].iloc[ids.index(chosen)]
        st.page_link(
            "views/weekly_review.py",
            label=f"Open the Weekly review of {name} ({week})",
            icon=":material/assignment:",
        )


state.page(render)
