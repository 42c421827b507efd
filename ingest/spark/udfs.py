"""The pandas UDFs of the Spark rollup: redaction and scope placement (label and score band), each
running the very code of the embedded path on every batch (the redaction SQL of ingest/redact.py in an
in-memory DuckDB, the scope model of scopetext/ and its score bands). They run on Spark's Python
workers, which need postlaunch installed; they read no file and no database.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import duckdb
import pandas as pd
import pyarrow as pa

from ingest import redact
from ingest.sqltext import Binder
from scopetext.estimate import bands_of
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


def placer(models: dict[str, ScopeModel]) -> Callable[[pd.Series, pd.Series], pd.DataFrame]:
    """A function placing each (deployment, text) with its deployment's scope model: the label (an
    approved use case or out_of_scope) and the score band (scopetext.estimate.bands_of, as placement
    stores it), both NULL for a row whose deployment is NULL or has no model."""

    def place(deployments: pd.Series, texts: pd.Series) -> pd.DataFrame:
        labels = pd.Series([None] * len(texts), index=texts.index, dtype=object)
        bands = pd.Series([None] * len(texts), index=texts.index, dtype=object)
        for dep, rows in texts.groupby(deployments, sort=False):  # NULL deployments are left out
            model = models.get(str(dep))
            if model is None:
                continue
            placed, scores = model.place([str(t) for t in rows.tolist()])
            labels.loc[rows.index] = placed
            bands.loc[rows.index] = [int(b) for b in bands_of(scores, model.threshold)]
        return pd.DataFrame({"label": labels, "band": pd.array(bands.tolist(), dtype="Int16")})

    return place
