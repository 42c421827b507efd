"""Feedback trends: negative share and volume, with the negative comments behind them."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state, trendpage, widgets

METRICS = ["negative_feedback_share", "feedback_count", "mean_rating", "acceptance_rate"]


def drill(deployment: str, first: str, last: str) -> None:
    st.subheader("What users, reviewers and customers said (negative feedback)")
    if widgets.elsewhere_note("Reading the comments"):
        return
    counts = data.drill("comment_counts", deployment, first, last)
    latest = data.drill("negative_comments", deployment, first, last)
    if not len(latest):
        st.caption("No negative comments in this range.")
        return
    left, right = st.columns([2, 3])
    left.markdown("**Most repeated**")
    left.dataframe(counts, hide_index=True, width="stretch")
    right.markdown("**Latest**")
    right.dataframe(latest, hide_index=True, width="stretch")


def render() -> None:
    trendpage.trend_page(
        "Feedback",
        "User concerns, reviewer comments and customer issues: a rating of 2 or less or a thumbs down is negative.",
        METRICS,
        drill,
    )


state.page(render)
