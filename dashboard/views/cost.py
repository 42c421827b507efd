"""Cost trends: total, budget burn, unit costs and week-over-week change, read against changes."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state, trendpage

METRICS = [
    "cost_total",
    "budget_burn",
    "cost_per_event",
    "cost_per_accepted_output",
    "cost_wow_change",
    "events",
]


def drill(deployment: str, first: str, last: str) -> None:
    st.subheader("Change records in this range")
    changes = data.changes(deployment, first, last)
    if not len(changes):
        st.caption("No change records in this range.")
        return
    st.dataframe(
        changes[["ts", "kind", "summary", "changed_by", "approved_by", "source"]],
        hide_index=True,
        width="stretch",
    )


def render() -> None:
    trendpage.trend_page(
        "Cost",
        "Subscriptions, usage charges, support time and rework in the reporting currency; a jump after a model "
        "or prompt change shows as a step after its marker.",
        METRICS,
        drill,
    )


state.page(render)
