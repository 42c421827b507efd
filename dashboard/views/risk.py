"""Risk & incidents trends: open and serious incidents, reporting deadlines, personal data in requests."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state, trendpage
from postlaunch import fmt

METRICS = [
    "open_incidents",
    "open_high_severity_incidents",
    "overdue_serious_incidents",
    "incidents_opened",
    "mean_days_to_resolve",
    "pii_share",
]


def drill(deployment: str, first: str, last: str) -> None:
    st.subheader("Incidents in this range")
    incidents = data.drill("incidents", deployment, first, last)
    if not len(incidents):
        st.caption("No incidents opened or open in this range.")
        return
    review = data.review(deployment, last)
    deadlines = {i.incident_id: fmt.deadline_text(i) for i in review.open_incidents}
    shown = incidents.copy()
    shown.insert(
        0,
        "reporting deadline",
        [
            deadlines.get(
                i,
                "reported"
                if r is not None and str(r) not in ("NaT", "None")
                else ("—" if not s else "see review"),
            )
            for i, r, s in zip(shown["incident_id"], shown["reported_at"], shown["serious"], strict=True)
        ],
    )
    st.dataframe(shown, hide_index=True, width="stretch")


def render() -> None:
    trendpage.trend_page(
        "Risk & incidents",
        "Complaints, misuse, privacy, access issues and incidents. A serious incident must be reported within "
        "its deadline; personal data in requests is itself a risk signal.",
        METRICS,
        drill,
    )


state.page(render)
