"""The dashboard's server: Streamlit's own ASGI app (`st.App`) serving the pages of `app.py`, with the
OFREP operating-status routes (`dashboard/ofrep.py`) in the same process, on the same port (DESIGN
§14). `postlaunch dashboard` runs it with `streamlit run`, which finds `app` below and serves it.
"""

from __future__ import annotations

import logging

import streamlit as st

from dashboard.ofrep import ROUTES


def _preload() -> None:
    """Import what every page needs (pandas, plotly, the metrics and the page helpers) once, as the server
    starts, instead of in the first session: the first open after a restart took about 1.3 s longer
    (cold 2.6-3.4 s with this, 3.4-4.8 s without, on the sample). Streamlit's caches warn that no runtime
    exists yet when their functions are declared; they find it when called."""
    caching = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = caching.level
    caching.setLevel(logging.ERROR)
    try:
        import dashboard.charts  # noqa: F401
        import dashboard.data  # noqa: F401
        import dashboard.operating  # noqa: F401
        import dashboard.tables  # noqa: F401
        import dashboard.widgets  # noqa: F401
        import metrics.api  # noqa: F401
    finally:
        caching.setLevel(level)


_preload()

app = st.App("app.py", routes=ROUTES)
