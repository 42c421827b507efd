"""Read-only queries behind the Scope page: the stored scope model of a deployment (threshold and its
calibration), the weekly split of events into labelled / inferred / unplaced, the request texts outside
the approved use (for clustering) and inferred placements with their scores. It never writes and never
imports ingest/ (the placement itself is ingest/scope/place.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from metrics.queries import run
from postlaunch import weeks as wk
from postlaunch.config import Context

SPLIT_COLUMNS = [
    "week",
    "labelled_in_scope",
    "labelled_out_of_scope",
    "inferred_in_scope",
    "inferred_out_of_scope",
    "unplaced",
    "unplaced_with_text",
]
EXAMPLE_COLUMNS = ["request_text", "inferred_use_case", "inferred_score", "events", "last_seen"]


def _bounds(ctx: Context, start_week: str, end_week: str) -> tuple[list[str], datetime, datetime]:
    """Weeks start..end (both included) and the UTC bounds of the whole range."""
    weeks = wk.week_range(start_week, end_week)
    lo = wk.week_bounds(start_week, ctx.settings.timezone)[0]
    hi = wk.week_bounds(end_week, ctx.settings.timezone)[1]
    return weeks, lo, hi


def scope_model_info(conn: duckdb.DuckDBPyConnection, deployment: str) -> dict[str, Any] | None:
    """The stored scope model of `deployment` (None before any placement): threshold, calibration (dict),
    fingerprint, placed_at, and how many of its unlabeled events with text it placed (`placed_events`)
    and how many are still unplaced or placed by an earlier model (`pending_events`), in rows."""
    rows = run(conn, "scope_model_info", {"dep": deployment})
    if not rows:
        return None
    row = rows[0]
    try:
        calibration = json.loads(row["calibration"]) if row["calibration"] else {}
    except ValueError:
        calibration = {"unreadable": row["calibration"]}
    return {
        "threshold": float(row["threshold"]),
        "calibration": calibration,
        "fingerprint": row["fingerprint"],
        "placed_at": row["placed_at"],
        "placed_events": int(row["placed_events"]),
        "pending_events": int(row["pending_events"]),
    }


def placement_split(
    conn: duckdb.DuckDBPyConnection, ctx: Context, deployment: str, start_week: str, end_week: str
) -> pd.DataFrame:
    """Per week of start_week..end_week (every week, zeros included): events labelled in / out of scope,
    inferred in / out of scope, unplaced (and unplaced with text), counted in requests like the metrics.
    In/out is judged against the registry's approved use cases."""
    dep = ctx.registry.get(deployment)
    weeks, lo, hi = _bounds(ctx, start_week, end_week)
    if not weeks:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in SPLIT_COLUMNS}).astype({"week": "object"})
    bounds = [wk.week_bounds(w, ctx.settings.timezone) for w in weeks]
    rows = run(
        conn,
        "scope_split",
        {
            "deployment": dep.id,
            "approved": list(dep.approved_use_cases),
            "weeks": weeks,
            "starts": [b[0] for b in bounds],
            "ends": [b[1] for b in bounds],
            "lo": lo,
            "hi": hi,
        },
    )
    frame = pd.DataFrame(rows, columns=SPLIT_COLUMNS)
    return frame.astype({c: "int64" for c in SPLIT_COLUMNS[1:]})


def out_of_scope_texts(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    deployment: str,
    start_week: str,
    end_week: str,
    limit: int = 5000,
    *,
    include_labelled: bool = True,
) -> list[str]:
    """Request texts outside the approved use in the weeks: unlabeled requests placed out of scope, and
    (with `include_labelled`) labelled requests whose use case is not approved, as `[label] text`. One
    entry per event row; at most `limit`, an evenly spread deterministic sample when there are more."""
    dep = ctx.registry.get(deployment)
    weeks, lo, hi = _bounds(ctx, start_week, end_week)
    if not weeks or limit <= 0:
        return []
    rows = run(
        conn,
        "scope_out_texts",
        {
            "deployment": dep.id,
            "approved": list(dep.approved_use_cases),
            "lo": lo,
            "hi": hi,
            "labelled": include_labelled,
            "limit": int(limit),
        },
    )
    return [str(r["text"]) for r in rows]


def inferred_examples(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    deployment: str,
    start_week: str,
    end_week: str,
    *,
    use_case: str | None = None,
    around: float | None = None,
    limit: int = 20,
) -> pd.DataFrame:
    """Distinct texts of unlabeled requests the scope model placed in the weeks, with their placement
    (`inferred_use_case`: an approved use case or out_of_scope), score and events: only `use_case`'s when
    given; nearest the score `around` first when given (e.g. the threshold: the borderline cases), else
    the most frequent first."""
    dep = ctx.registry.get(deployment)
    weeks, lo, hi = _bounds(ctx, start_week, end_week)
    if not weeks or limit <= 0:
        return pd.DataFrame(columns=EXAMPLE_COLUMNS)
    rows = run(
        conn,
        "scope_inferred_examples",
        {
            "deployment": dep.id,
            "lo": lo,
            "hi": hi,
            "use_case": use_case,
            "around": None if around is None else float(around),
            "limit": int(limit),
        },
    )
    return pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)
