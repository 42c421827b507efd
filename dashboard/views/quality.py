"""Quality trends: errors, escalations, acceptance, rework and rating, with bands and change markers."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state, trendpage

METRICS = ["acceptance_rate", "error_rate", "escalation_rate", "rework_rate", "mean_rating"]


def drill(deployment: str, first: str, last: str) -> None:
    st.subheader("Negative feedback in this range")
    comments = data.drill("comment_counts", deployment, first, last)
    if not len(comments):
        st.caption("No negative comments in this range.")
        return
    st.dataframe(comments, hide_index=True, width="stretch")


def render() -> None:
    trendpage.trend_page(
        "Quality",
        "Is the output right and used? Acceptance and rework come from feedback; errors and escalations from usage.",
        METRICS,
        drill,
    )


state.page(render)
