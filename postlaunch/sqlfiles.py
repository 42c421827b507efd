"""The `.sql` files that sit in a package's `sql/` folder: loaded once, with the token WEEK_INDEX
(outside comments) replaced by the one DST-correct week-index expression of postlaunch/sql/week_index.sql,
and run on their own cursor with named parameters. Every package's queries go through here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import duckdb

CORE_SQL = Path(__file__).resolve().parent / "sql"


@cache
def _week_index() -> str:
    lines = (CORE_SQL / "week_index.sql").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip()


@cache
def sql_text(directory: Path, name: str) -> str:
    """DIRECTORY/NAME.sql, with WEEK_INDEX spliced in."""
    lines = (directory / f"{name}.sql").read_text(encoding="utf-8").splitlines()
    return "\n".join(
        line if line.lstrip().startswith("--") else line.replace("WEEK_INDEX", f"({_week_index()})")
        for line in lines
    )


def rows(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run `sql` with named parameters on its own cursor; rows as dicts."""
    cur = conn.cursor()
    try:
        cur.execute(sql, params)
        columns = [d[0] for d in cur.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    finally:
        cur.close()
