"""The dashboard's server: Streamlit's own ASGI app (`st.App`) serving the pages of `app.py`, with the
OFREP operating-status routes (`dashboard/ofrep.py`) in the same process, on the same port (DESIGN
§14). `postlaunch dashboard` runs it with `streamlit run`, which finds `app` below and serves it.
"""

from __future__ import annotations

import streamlit as st

from dashboard.ofrep import ROUTES

app = st.App("app.py", routes=ROUTES)
