"""The pandas UDFs of the Spark rollup: redaction and scope placement, each running the very code of the
embedded path on every batch (the redaction SQL of ingest/redact.py in an in-memory DuckDB, the scope
model of scopetext/). They run on Spark's Python workers, which need postlaunch installed; they read no
file and no database.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import duckdb
import pandas as pd
import pyarrow as pa

from ingest import redact
from ingest.sqltext import Binder
from scopetext.model import ScopeModel


@cache
def _redaction(setting: str) -> tuple[duckdb.DuckDBPyConnection, str, dict[str, object]]:
    """An in-memory DuckDB of this worker and the SELECT that ingest's validation uses for a text:
    the text as stored (setting request_text: keep, redact, drop) and the personal-data items found."""
    bind = Binder()
    marked = redact.marked_sql("t", bind)
    stored = {"keep": "t", "redact": redact.strip_marks_sql(marked, bind), "drop": "CAST(NULL AS VARCHAR)"}[
        setting
    ]
    sql = (
        f"SELECT {stored} AS text, CAST({redact.count_marks_sql(marked, bind)} AS INTEGER) AS pii FROM batch"
    )
    return duckdb.connect(), sql, bind.params


def redact_texts(texts: pd.Series, setting: str) -> pd.DataFrame:
    """(text as stored, pii count) per text; NULL stays NULL (and counts nothing)."""
    conn, sql, params = _redaction(setting)
    batch = pa.table({"t": pa.array(texts.astype(object).where(texts.notna(), None), pa.string())})
    conn.register("batch", batch)
    try:
        out = conn.sql(sql, params=params).to_arrow_table()
    finally:
        conn.unregister("batch")
    return pd.DataFrame(
        {
            "text": pd.Series(out.column("text").to_pylist(), dtype=object),
            "pii": pd.array(out.column("pii").to_pylist(), dtype="Int32"),
        }
    )


def placer(models: dict[str, ScopeModel]) -> Callable[[pd.Series, pd.Series], pd.Series]:
    """A function placing each (deployment, text) with its deployment's scope model."""

    def place(deployments: pd.Series, texts: pd.Series) -> pd.Series:
        out = pd.Series([None] * len(texts), index=texts.index, dtype=object)
        for dep, rows in texts.groupby(deployments, sort=False):
            model = models.get(str(dep))
            if model is None:
                continue
            labels, _ = model.place([str(t) for t in rows.tolist()])
            out.loc[rows.index] = labels
        return out

    return place
