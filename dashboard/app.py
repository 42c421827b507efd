"""The Streamlit entry point: page setup, the sidebar pickers bound to the URL, the empty and error
states, and the navigation between pages (which live in `dashboard/views/`). Run it with
`postlaunch dashboard`; it holds no SQL and no metric logic.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

import streamlit as st

from dashboard import audit, auth, data, state

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(
    page_title="postlaunch",
    page_icon=":material/monitoring:",
    layout="wide",
    initial_sidebar_state="expanded",
)

# Who is looking comes first: the sign-in screen, an expired token or a person without a role stop here.
identity = None
with state.boundary():
    identity = auth.gate()
if identity is None:  # the configuration could not be read: the boundary said why
    st.stop()

PAGES = {
    "Review": [
        st.Page(
            "views/portfolio.py",
            title="Portfolio",
            icon=":material/dashboard:",
            url_path="portfolio",
            default=True,
        ),
        st.Page(
            "views/weekly_review.py", title="Weekly review", icon=":material/assignment:", url_path="review"
        ),
        st.Page("views/readiness.py", title="Readiness", icon=":material/fact_check:", url_path="readiness"),
    ],
    "Trends": [
        st.Page("views/quality.py", title="Quality", icon=":material/verified:", url_path="quality"),
        st.Page("views/scope.py", title="Scope", icon=":material/my_location:", url_path="scope"),
        st.Page("views/cost.py", title="Cost", icon=":material/payments:", url_path="cost"),
        st.Page("views/risk.py", title="Risk & incidents", icon=":material/warning:", url_path="risk"),
        st.Page("views/feedback.py", title="Feedback", icon=":material/forum:", url_path="feedback"),
    ],
    "Records": [
        st.Page("views/evidence.py", title="Evidence", icon=":material/policy:", url_path="evidence"),
        st.Page("views/data.py", title="Data", icon=":material/upload_file:", url_path="data"),
    ],
}

page = st.navigation(PAGES)


def sidebar() -> str:
    """Draw the pickers; return the database state (missing, empty, ready)."""
    ctx = state.context()
    db_state = state.database_state(ctx)
    if db_state == state.DatabaseState.READY:
        deployment = state.deployment_picker(ctx)
        week = state.week_picker(data.weeks())
        if deployment and week:
            # The URL keeps only what was picked; this link pins both, for the meeting invite.
            st.sidebar.markdown(
                f"[:material/link: Link to this view](?deployment={quote(deployment)}&week={quote(week)})",
                help="This page with this deployment and week, whatever the latest week is when it is opened.",
            )
    db, config = Path(ctx.settings.db), Path(ctx.settings.config)
    st.sidebar.caption(
        f"Database `{db.name}` · registry `{config.name}` · amounts in {ctx.settings.currency}",
        help=f"database {db.resolve()}\n\nregistry {config.resolve()}",
    )
    return db_state


db_state = None
with state.boundary():
    db_state = sidebar()

# One `view` per page, deployment and week the session opens (DESIGN §17).
_PER_DEPLOYMENT = {"review", "quality", "scope", "cost", "risk", "feedback"}
with state.boundary():
    on_deployment = page.url_path in _PER_DEPLOYMENT
    audit.view_once(
        state.context().settings,
        identity,
        page.url_path or "portfolio",
        state.selected_deployment() if on_deployment else None,
        state.selected_week() if on_deployment else None,
    )

# The Data page works without data (it is where data comes in); Evidence once the database exists.
if (
    db_state == state.DatabaseState.READY
    or (db_state is not None and page.url_path == "data")
    or (db_state == state.DatabaseState.EMPTY and page.url_path == "evidence")
):
    page.run()
elif db_state is not None:
    with state.boundary():
        state.show_load_help(state.context(), db_state)
