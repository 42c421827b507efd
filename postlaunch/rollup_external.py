"""Rollup rows computed elsewhere (DESIGN §18: `postlaunch rollup --engine spark`) replacing a database's
rollup: the whole of it, or some weeks. Such a database holds no events of its own; postlaunch.rollup owns
the tables and their columns, this module only how another engine's rows take their place.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import duckdb
import pyarrow as pa

from postlaunch import measures, rollup
from postlaunch.errors import PostlaunchError


def _execute(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    return conn.execute(sql, params or {}).fetchall()


EXAMPLE_COLUMNS = "deployment, wk, use_case, source, request_text, first_ts"
MODEL_COLUMNS = "deployment, fingerprint, threshold, calibration, placed_at"


def replace_external(
    conn: duckdb.DuckDBPyConnection,
    timezone: str,
    source: str,
    rows: dict[str, pa.Table],
    weeks: tuple[int, int] | None,
) -> None:
    """Inside the caller's transaction: replace the rollup (every week, or the week indexes `weeks`, both
    included) with rows computed elsewhere (`source`: spark) in the configured timezone. `rows` holds
    Arrow tables for usage_rollup, usage_week_users, feedback_rollup and scope_examples, with their
    columns (by name), and optionally scope_models: the scope models the placement used, which replace
    every stored one (whatever the weeks: they describe the latest placement). Refused when the database
    holds events loaded here: the two would count twice."""
    ((stored,),) = _execute(conn, "SELECT count(*) FROM usage_events")
    ((feedback,),) = _execute(conn, "SELECT count(*) FROM feedback")
    if stored or feedback:
        raise PostlaunchError(
            f"this database holds {stored:,} usage events and {feedback:,} feedback rows loaded by "
            f"`postlaunch ingest`; a rollup computed by {source} goes into a database of its own (--db)"
        )
    state = rollup.read_state(conn)
    if weeks is not None and state is not None and (state.source != source or state.timezone != timezone):
        raise PostlaunchError(
            f"--weeks replaces some weeks of a rollup built by {source} in {timezone}; this one was built by "
            f"{state.source} in {state.timezone}: roll up every week (without --weeks)"
        )
    columns = {
        "usage_rollup": rollup.USAGE_COLUMNS,
        "usage_week_users": "deployment, wk, active_users",
        "feedback_rollup": "deployment, wk, " + ", ".join(n for n, _ in measures.FEEDBACK),
        "scope_examples": EXAMPLE_COLUMNS,
        "scope_models": MODEL_COLUMNS,
    }
    for table, data in rows.items():  # before any write: a mismatch names its columns
        expected = [c.strip() for c in columns[table].split(",")] if table in columns else None
        if expected is None or sorted(data.column_names) != sorted(expected):
            raise PostlaunchError(
                f"{source} rows for {table}: columns {', '.join(data.column_names)}; expected "
                f"{columns.get(table, 'no such table')}"
            )
    where = "" if weeks is None else " WHERE wk BETWEEN $lo AND $hi"
    params = {} if weeks is None else {"lo": weeks[0], "hi": weeks[1]}
    for table in (*rollup.TABLES, "scope_examples"):
        _execute(conn, f"DELETE FROM {table}{where}", params)
    if "scope_models" in rows:
        _execute(conn, "DELETE FROM scope_models")
    for table, cols in columns.items():
        data = rows.get(table)
        if data is None or data.num_rows == 0:
            continue
        name = f"__pl_external_{table}"
        conn.register(name, data)
        try:
            _execute(conn, f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}")
        except BaseException:
            with suppress(duckdb.Error):  # the failed transaction refuses even this: keep the first error
                conn.unregister(name)
            raise
        conn.unregister(name)
    _execute(conn, "DELETE FROM rollup_state")
    _execute(
        conn,
        "INSERT INTO rollup_state VALUES ($tz, $source, now()::TIMESTAMP)",
        {"tz": timezone, "source": source},
    )
