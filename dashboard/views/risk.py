"""Risk & incidents trends: open and serious incidents, the reporting clock of each serious incident
(DESIGN §16), personal data in requests and use by users without valid training (DESIGN §15)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, state, tables, trendpage
from postlaunch import fmt

METRICS = [
    "open_incidents",
    "open_high_severity_incidents",
    "overdue_serious_incidents",
    "serious_incidents_due_soon",
    "incidents_opened",
    "mean_days_to_resolve",
    "pii_share",
    "untrained_use_share",
]


def countdown(deployment: str, last: str) -> None:
    """Each serious incident not yet reported at the end of `last`: its clock, deadline and days left."""
    review = data.review(deployment, last)
    serious = [i for i in review.open_incidents if i.serious and not i.reported_at]
    st.subheader(f"Reporting clocks ({len(serious)})")
    if not serious:
        st.caption(f"No serious incident awaits its report at the end of {last}.")
        return
    rows = [
        {
            "incident": i.incident_id,
            "severity": i.severity,
            "kind": (i.serious_kind or "not given").replace("_", " "),
            "clock": f"{i.deadline_days} days" if i.deadline_days is not None else "",
            "aware": fmt.as_date(i.aware_at or i.opened_at),
            "deadline": fmt.as_date(i.deadline),
            "at the week's end": fmt.deadline_text(i),
        }
        for i in serious
    ]
    urgency = pd.Series(["critical" if i.overdue else ("warn" if i.due_soon else "") for i in serious])
    st.dataframe(
        tables.styled(pd.DataFrame(rows), soft_by={"at the week's end": urgency, "incident": urgency}),
        hide_index=True,
        width="stretch",
    )


def drill(deployment: str, first: str, last: str) -> None:
    countdown(deployment, last)
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
