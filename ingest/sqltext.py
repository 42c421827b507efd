"""Small helpers for building SQL text: bound parameters (`Binder`), identifier quoting and loading the
`.sql` files that sit next to the modules. Values never enter SQL text; only `$pN` placeholders do.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from postlaunch.db import quote_ident

__all__ = ["Binder", "quote_ident", "sql_file"]


class Binder:
    """Collects values for named parameters: `bind(value)` returns `$<prefix>N` and remembers the value.

    Give each Binder whose SQL is combined with another's its own prefix, so the names never clash.
    """

    def __init__(self, prefix: str = "p") -> None:
        self.prefix = prefix
        self.params: dict[str, Any] = {}
        self._seen: dict[tuple[type, Any], str] = {}

    def __call__(self, value: Any) -> str:
        key = (type(value), value) if isinstance(value, str | int | float | bool) else None
        if key is not None and key in self._seen:
            return self._seen[key]
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        if key is not None:
            self._seen[key] = f"${name}"
        return f"${name}"

    def used(self, sql: str) -> dict[str, Any]:
        """Only the parameters that `sql` refers to (DuckDB refuses unused named parameters)."""
        names = set(_PARAM.findall(sql))
        return {name: value for name, value in self.params.items() if name in names}


_PARAM = re.compile(r"\$([A-Za-z_]+[0-9]+)\b")


@cache
def sql_file(name: str) -> str:
    """The text of `ingest/NAME.sql` (header comment included; DuckDB ignores comments)."""
    return (Path(__file__).with_name(name)).read_text(encoding="utf-8")


def run_sql(conn: Any, sql: str, params: Any = None) -> list[Any]:
    """Execute and fetch everything (DuckDB 2 refuses new work while a result is unfetched)."""
    return conn.execute(sql, params).fetchall()
