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


# Fits 1280-1440 px beside the sidebar without horizontal scrolling (tests/test_browser.py measures it):
# the decision-relevant columns first, each as wide as its content needs; cells wrap onto up to three
# lines (a row taller than 64 px lets the grid wrap text; it ignores line breaks), and tier and owner
# follow the name in the deployment cell.
ROW_HEIGHT = 70
WIDTHS = {
    "status": 68,
    "deployment": 150,
    "recommendation": 86,
    "alerts": 66,
    "events": 64,
    "acceptance": 56,
    "out of scope": 56,
    "cost vs budget": 96,
    "decision": 88,
    "link": 44,
}


def _alerts(critical: int, warn: int) -> str:
    parts = [f"{critical} critical" if critical else "", f"{warn} warn" if warn else ""]
    return ", ".join(p for p in parts if p) or "none"


def _decision(row: PortfolioRow, week: str) -> str:
    """`limit (W46)`, `next 30 Nov`, `OVERDUE`: the last decision and when the next review is due."""
    if not row.last_decision:
        return "none yet"
    decided = row.last_decision_week or ""
    if decided[:4] == week[:4]:
        decided = decided[5:]
    lines = [f"{row.last_decision} ({decided})"]
    due = fmt.as_date(row.next_review)
    if due is not None:
        lines.append(
            f"next {due.day} {due:%b}" + ("" if due.year == fmt.week_dates(week)[0].year else f" {due.year}")
        )
    if row.review_overdue:
        lines.append("OVERDUE")
    return " · ".join(lines)


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
                "deployment": f"{row.name} · {row.risk_tier} risk · {row.owner}",
                "recommendation": (row.recommendation or "no data").upper(),
                "alerts": _alerts(row.critical_alerts, row.warn_alerts),
                "events": _events(row),
                "acceptance": fmt.value("acceptance_rate", row.acceptance_rate),
                "out of scope": fmt.value("out_of_scope_share", row.out_of_scope_share),
                "cost vs budget": cost,
                "decision": _decision(row, week),
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
                "decision": statuses["review_overdue"].map({True: "critical", False: ""}),
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
        row_height=ROW_HEIGHT,
        on_select=_open_selected,
        selection_mode="single-row",
        key=TABLE_KEY,
        column_order=list(WIDTHS),
        column_config={
            "status": st.column_config.TextColumn("status", width=WIDTHS["status"]),
            "deployment": st.column_config.TextColumn(
                "deployment", width=WIDTHS["deployment"], help="name · risk tier · owner"
            ),
            "recommendation": st.column_config.TextColumn("recommends", width=WIDTHS["recommendation"]),
            "alerts": st.column_config.TextColumn(
                "alerts", width=WIDTHS["alerts"], help="critical and warn alerts this week"
            ),
            "events": st.column_config.TextColumn(
                "events", width=WIDTHS["events"], help="usage events; change vs last week"
            ),
            "acceptance": st.column_config.TextColumn(
                "accept.", width=WIDTHS["acceptance"], help="acceptance rate"
            ),
            "out of scope": st.column_config.TextColumn(
                "scope", width=WIDTHS["out of scope"], help="out-of-scope share of this week's requests"
            ),
            "cost vs budget": st.column_config.TextColumn(
                "cost / budget", width=WIDTHS["cost vs budget"], help="cost this week / weekly budget"
            ),
            "decision": st.column_config.TextColumn(
                "decided",
                width=WIDTHS["decision"],
                help="the last decision (its week) and the next review date",
            ),
            "link": st.column_config.LinkColumn("review", display_text="open ›", width=WIDTHS["link"]),
        },
    )
    chosen = state.selected_deployment()
    if chosen in ids:
        name = rows[ids.index(chosen)].name
        st.page_link(
            "views/weekly_review.py",
            label=f"Open the Weekly review of {name} ({week})",
            icon=":material/assignment:",
        )


state.page(render)
