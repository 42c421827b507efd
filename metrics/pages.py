"""Small read-only queries the dashboard's drill-down tables need and `metrics.api` does not offer:
incidents, negative comments and requests outside the approved use over a week range (the Scope
page's own queries live in `metrics.scope`). Each is a file in metrics/sql/ returning a small frame.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from metrics.queries import frame, run
from postlaunch.weeks import week_bounds


def has_data(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether any usage, feedback, cost or incident record is stored (the dashboard's empty state)."""
    return bool(run(conn, "pg_has_data", {})[0]["has_data"])


def week_bounds_utc(first_week: str, last_week: str, timezone: str = "UTC") -> tuple[datetime, datetime]:
    """[Monday 00:00 of `first_week`, Monday 00:00 after `last_week`) in `timezone`, as naive UTC."""
    return week_bounds(first_week, timezone)[0], week_bounds(last_week, timezone)[1]


def incidents(
    conn: duckdb.DuckDBPyConnection, deployment: str, start: datetime, end: datetime
) -> pd.DataFrame:
    """Incidents (current version) opened in [start, end) or still open at `start`, newest first."""
    return frame(conn, "pg_incidents", {"dep": deployment, "start": start, "end": end})


def negative_comments(
    conn: duckdb.DuckDBPyConnection, deployment: str, start: datetime, end: datetime, limit: int = 200
) -> pd.DataFrame:
    """Feedback rows that are negative (rating <= 2 or thumbs down) and carry a comment, newest first."""
    return frame(
        conn, "pg_negative_comments", {"dep": deployment, "start": start, "end": end, "limit": limit}
    )


def comment_counts(
    conn: duckdb.DuckDBPyConnection, deployment: str, start: datetime, end: datetime
) -> pd.DataFrame:
    """Negative comments grouped by their text, most frequent first (repeated complaints stand out)."""
    return frame(conn, "pg_comment_counts", {"dep": deployment, "start": start, "end": end})


def out_of_scope_requests(
    conn: duckdb.DuckDBPyConnection,
    deployment: str,
    approved: list[str],
    start: datetime,
    end: datetime,
    limit: int = 300,
) -> pd.DataFrame:
    """Requests outside the approved use: a labelled use case not in `approved`, or unlabeled text the
    scope model placed out of scope. One row per distinct (use case, source, text), counted in requests."""
    return frame(
        conn,
        "pg_out_of_scope_requests",
        {"dep": deployment, "start": start, "end": end, "approved": approved, "limit": limit},
    )
