"""Staged rows: what an adapter hands to the ingest engine. A pyarrow table of VARCHAR contract columns
plus `__line` (int64), `__raw` (str) and optionally `__reason` (an adapter-level quarantine reason,
NULL when the row is fine) and `__key` (the source record's own identity, e.g. a hash of the whole
FOCUS row, for sources without an id column: rows that differ only in columns the contract does not
keep then stay distinct). The engine validates and loads it exactly like a native file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from postlaunch.config import Context

LINE = "__line"
RAW = "__raw"
REASON = "__reason"
KEY = "__key"


@dataclass
class Staged:
    kind: str
    file: str
    sha256: str
    adapter: str | None
    format: str
    table: pa.Table
    extra_columns: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def contract_columns(self) -> list[str]:
        return [name for name in self.table.column_names if name not in (LINE, RAW, REASON, KEY)]


class Adapter(Protocol):
    """What the ingest engine needs of an adapter: its name on the command line, the contract kinds it
    writes, and `read`, which turns one file into staged rows of those kinds (raising AdapterError for a
    file it cannot read at all, naming the place and the value)."""

    @property
    def name(self) -> str: ...

    @property
    def kinds(self) -> Sequence[str]: ...

    def read(self, path: Path, ctx: Context, options: dict[str, Any]) -> list[Staged]: ...
