"""Small read-only queries the dashboard's drill-down tables need and `metrics.api` does not offer:
incidents, negative comments and requests outside the approved use over a week range (the Scope
page's own queries live in `metrics.scope`). Plain parameterized SQL returning small frames; it never writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from metrics.weeks import week_bounds


def _frame(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | list[Any]) -> pd.DataFrame:
    cur = conn.cursor()
    try:
        return cur.execute(sql, params).df()
    finally:
        cur.close()


def has_usage(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether any usage event is stored (the dashboard's empty state)."""
    cur = conn.cursor()
    try:
        row = cur.execute("SELECT EXISTS (SELECT 1 FROM usage_events)").fetchone()
    finally:
        cur.close()
    return bool(row and row[0])


def week_bounds_utc(first_week: str, last_week: str, timezone: str = "UTC") -> tuple[datetime, datetime]:
    """[Monday 00:00 of `first_week`, Monday 00:00 after `last_week`) in `timezone`, as naive UTC."""
    return week_bounds(first_week, timezone)[0], week_bounds(last_week, timezone)[1]


def incidents(
    conn: duckdb.DuckDBPyConnection, deployment: str, start: datetime, end: datetime
) -> pd.DataFrame:
    """Incidents (current version) opened in [start, end) or still open at `start`, newest first."""
    return _frame(
        conn,
        """
        SELECT incident_id, opened_at, severity, category, status, serious, resolved_at,
               aware_at, reported_at, title, description
        FROM incidents
        WHERE deployment = $dep AND opened_at < $end
          AND (opened_at >= $start OR resolved_at IS NULL OR resolved_at >= $start)
        ORDER BY opened_at DESC, incident_id
        """,
        {"dep": deployment, "start": start, "end": end},
    )


def negative_comments(
    conn: duckdb.DuckDBPyConnection, deployment: str, start: datetime, end: datetime, limit: int = 200
) -> pd.DataFrame:
    """Feedback rows that are negative (rating <= 2 or thumbs down) and carry a comment, newest first."""
    return _frame(
        conn,
        """
        SELECT ts, source, rating, thumbs, accepted, rework_minutes, comment
        FROM feedback
        WHERE deployment = $dep AND ts >= $start AND ts < $end
          AND (rating <= 2 OR thumbs = 'down') AND comment IS NOT NULL AND trim(comment) <> ''
        ORDER BY ts DESC
        LIMIT $limit
        """,
        {"dep": deployment, "start": start, "end": end, "limit": limit},
    )


def comment_counts(
    conn: duckdb.DuckDBPyConnection, deployment: str, start: datetime, end: datetime
) -> pd.DataFrame:
    """Negative comments grouped by their text, most frequent first (repeated complaints stand out)."""
    return _frame(
        conn,
        """
        SELECT comment, count(*) AS times, min(ts) AS first_seen, max(ts) AS last_seen
        FROM feedback
        WHERE deployment = $dep AND ts >= $start AND ts < $end
          AND (rating <= 2 OR thumbs = 'down') AND comment IS NOT NULL AND trim(comment) <> ''
        GROUP BY comment
        ORDER BY times DESC, comment
        LIMIT 50
        """,
        {"dep": deployment, "start": start, "end": end},
    )


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
    return _frame(
        conn,
        """
        WITH scoped AS (
            SELECT CASE WHEN use_case IS NOT NULL THEN use_case ELSE inferred_use_case END AS use_case,
                   CASE WHEN use_case IS NOT NULL THEN 'labelled' ELSE 'inferred' END AS source,
                   coalesce(request_text, CASE WHEN has_text THEN '(text dropped at ingest)'
                                               ELSE '(no request text recorded)' END) AS request_text,
                   team, requests, ts
            FROM usage_events
            WHERE deployment = $dep AND ts >= $start AND ts < $end
        )
        SELECT use_case, source, request_text, sum(requests)::BIGINT AS requests,
               count(DISTINCT team) AS teams, max(ts) AS last_seen
        FROM scoped
        WHERE use_case IS NOT NULL AND NOT list_contains($approved, use_case)
        GROUP BY ALL
        ORDER BY requests DESC, use_case, request_text
        LIMIT $limit
        """,
        {"dep": deployment, "start": start, "end": end, "approved": approved, "limit": limit},
    )
