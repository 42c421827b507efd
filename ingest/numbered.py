"""The validated rows of one file being ingested, numbered (DESIGN §4: every row keeps its line): the table
BASE that validation fills, and the view V over it with `__row` (the row's index among those the parser
kept) and `__line` (its line in the file). ingest/store.py classifies and writes them.

Where they live: temp tables of the caller's connection, or, for ingest's own working connection
(`shared`, in memory), that connection's own database SHARED, where its other cursors read them too
(ingest/append.py appends chunks side by side, each on its own cursor); temp.V shows them either way.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ingest.sqltext import run_sql

V, BASE, RENUMBERED, SHIFT = "__pl_v", "__pl_v0", "__pl_v1", "__pl_shift"  # V is a view over BASE
SHARED = "memory.main"  # a working connection's own in-memory database


def _home(shared: bool) -> str:
    return SHARED if shared else "temp"


def create_base(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any], *, shared: bool) -> None:
    """BASE: the validated rows of the file (`sql`: validate.sql's plan), in the connection's own database
    when `shared`, else a temp table."""
    run_sql(conn, f"CREATE {'' if shared else 'TEMP '}TABLE {_home(shared)}.{BASE} AS {sql}", params)


def _make_v(conn: duckdb.DuckDBPyConnection, select: str, *, shared: bool) -> None:
    """V as `select`; when shared, a view of the connection's own database that temp.V shows."""
    run_sql(conn, f"DROP VIEW IF EXISTS temp.{V}")
    if shared:
        run_sql(conn, f"CREATE OR REPLACE VIEW {SHARED}.{V} AS {select}")
        select = f"SELECT * FROM {SHARED}.{V}"
    run_sql(conn, f"CREATE TEMP VIEW {V} AS {select}")


def number_rows(conn: duckdb.DuckDBPyConnection, numbered: bool, first: int, *, shared: bool) -> None:
    """Make V: BASE with `__row` and `__line`. An unnumbered source (CSV) was written in file order
    (insertion order is preserved), so its rowid is the index of the row among those the parser kept."""
    base = f"{_home(shared)}.{BASE}"
    if numbered:
        cols = "*"
    else:  # rows of a table created in an open transaction are numbered from an offset: subtract it (none
        # when it was created outside one, as ingest's working connection does: then a range of `__row` is
        # one of rowids, which DuckDB reads without scanning the rest)
        ((offset,),) = run_sql(conn, f"SELECT coalesce(min(rowid), 0) FROM {base}")
        row = f"rowid - {offset}" if offset else "rowid"
        cols = f"{row} AS __row, {row} + {int(first)} AS __line, *"
    _make_v(conn, f"SELECT {cols} FROM {base}", shared=shared)


def renumber(
    conn: duckdb.DuckDBPyConnection, rejects: list[tuple[int, str, str]], first: int, *, shared: bool
) -> None:
    """Fix `__line` after rows the parser refused: the k-th kept row (0-based `__row`) sits on line
    first + k + the number of refused lines before it."""
    run_sql(conn, f"CREATE TEMP TABLE {SHIFT} (g BIGINT, k BIGINT)")
    gaps: dict[int, int] = {}
    for k, (line, _, _) in enumerate(rejects, start=1):
        gaps[line - first - (k - 1)] = k
    conn.executemany(f"INSERT INTO temp.{SHIFT} VALUES (?, ?)", [[g, k] for g, k in gaps.items()])
    renumbered = f"{_home(shared)}.{RENUMBERED}"
    run_sql(
        conn,
        f"CREATE {'' if shared else 'TEMP '}TABLE {renumbered} AS SELECT v.* REPLACE (v.__row + {int(first)} + coalesce(s.k, 0) AS __line) "
        f"FROM temp.{V} v ASOF LEFT JOIN temp.{SHIFT} s ON v.__row >= s.g",
    )
    _make_v(conn, f"SELECT * FROM {renumbered}", shared=shared)


def drop(conn: duckdb.DuckDBPyConnection, *, shared: bool) -> None:
    """Drop V and the tables under it."""
    run_sql(conn, f"DROP VIEW IF EXISTS temp.{V}")
    if shared:
        run_sql(conn, f"DROP VIEW IF EXISTS {SHARED}.{V}")
    for name in (BASE, RENUMBERED, SHIFT):
        run_sql(conn, f"DROP TABLE IF EXISTS temp.{name}")
        if shared:
            run_sql(conn, f"DROP TABLE IF EXISTS {SHARED}.{name}")
