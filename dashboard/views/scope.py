"""Scope trends: out-of-scope, unlabeled, unapproved-team and data-class shares and use-case drift;
the requests outside the approved use, how requests were placed (labelled, inferred, unplaced), the
calibrated out-of-scope threshold and clusters of the requests outside the approved use."""

from __future__ import annotations

import streamlit as st

from dashboard import audit_panel, data, scope_panel, state, trendpage, widgets
from postlaunch import fmt

METRICS = [
    "out_of_scope_share",
    "use_case_drift_js",
    "unapproved_team_share",
    "data_class_violation_share",
    "unlabeled_share",
]


def drill(deployment: str, first: str, last: str) -> None:
    week = state.selected_week() or last
    with state.boundary():
        metric = data.review(deployment, week).metric("out_of_scope_share")
        how = fmt.estimate_text(metric.estimate, metric.estimate_basis) if metric is not None else None
        if how:
            st.info(f"**How the out-of-scope share of {week} was made:** {how}", icon=":material/fact_check:")
        audit_panel.render_check_sample(data.ctx(), deployment, week)
    st.subheader("Requests outside the approved use")
    if widgets.elsewhere_note("The list of requests, their placement and clusters"):
        return
    requests = data.drill("out_of_scope", deployment, first, last)
    if not len(requests):
        st.caption("No requests outside the approved use cases in this range.")
    else:
        by_case = requests.groupby(["use_case", "source"], as_index=False)["requests"].sum()
        left, right = st.columns([1, 2])
        left.dataframe(by_case.sort_values("requests", ascending=False), hide_index=True, width="stretch")
        right.dataframe(requests, hide_index=True, width="stretch")
    scope_panel.render_scope_panel(data.ctx(), deployment, first, last)


def render() -> None:
    trendpage.trend_page(
        "Scope",
        "Is it used for what it was approved for, by the approved teams, with the allowed data? Requests without a "
        "use_case label are placed by their text (inferred).",
        METRICS,
        drill,
    )


state.page(render)
