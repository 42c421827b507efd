"""Loads what the Spark rollup brought back into the DuckDB file, in one transaction: the rollup rows
(every week, or the weeks asked for), the redacted out-of-scope examples, one ingest run per source with
its counts and quarantined rows by reason, and a few of those rows (redacted) in the quarantine.
Nothing of the raw events is written. It never starts Spark (ingest/spark/pipeline.py does).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pyarrow as pa

from ingest.runs import FileResult, record_run
from ingest.spark.pipeline import KEYS, SourceResult, SparkRollup
from ingest.sqltext import run_sql
from postlaunch import db, measures, rollup
from postlaunch import weeks as wk
from postlaunch.config import Context

SOURCE = "spark"


def _usage_table(rows: list[tuple[Any, ...]]) -> pa.Table:
    names = ["deployment", "wk", "grain", *KEYS, *[n for n, _ in measures.USAGE]]
    types: dict[str, pa.DataType] = {n: pa.int64() for n, _ in measures.USAGE} | {"cost": pa.float64()}
    types |= {
        "deployment": pa.string(),
        "wk": pa.int64(),
        "grain": pa.string(),
        **{k: pa.string() for k in KEYS},
    }
    return pa.table({n: pa.array([r[i] for r in rows], types[n]) for i, n in enumerate(names)})


def _users_table(rows: list[tuple[Any, ...]]) -> pa.Table:
    return pa.table(
        {
            "deployment": pa.array([r[0] for r in rows], pa.string()),
            "wk": pa.array([r[1] for r in rows], pa.int64()),
            "active_users": pa.array([r[2] for r in rows], pa.int64()),
        }
    )


def _feedback_table(rows: list[tuple[Any, ...]]) -> pa.Table:
    names = ["deployment", "wk", *[n for n, _ in measures.FEEDBACK]]
    doubles = {"rating_sum", "rating_sumsq"}
    return pa.table(
        {
            n: pa.array(
                [r[i] for r in rows],
                pa.string() if n == "deployment" else pa.float64() if n in doubles else pa.int64(),
            )
            for i, n in enumerate(names)
        }
    )


def _examples_table(rows: list[tuple[Any, ...]]) -> pa.Table:
    names = ["deployment", "wk", "use_case", "source", "request_text", "first_ts"]
    types = [pa.string(), pa.int64(), pa.string(), pa.string(), pa.string(), pa.timestamp("us")]
    return pa.table(
        {n: pa.array([r[i] for r in rows], t) for i, (n, t) in enumerate(zip(names, types, strict=True))}
    )


def _run_result(source: SourceResult, run_id: str, weeks: tuple[str, str] | None) -> FileResult:
    notes: dict[str, Any] = {
        "engine": SOURCE,
        "quarantined_by_reason": dict(sorted(source.by_reason.items())),
    }
    if weeks is not None:
        notes |= {"weeks": f"{weeks[0]}:{weeks[1]}", "outside_weeks": source.outside}
    return FileResult(
        source.source, source.kind, source.rows, source.loaded, source.duplicates, source.quarantined,
        "loaded", None, source.extra, [e["reason"] for e in source.examples[:5]], run_id, notes,
    )  # fmt: skip


def load(
    ctx: Context, result: SparkRollup, weeks: tuple[str, str] | None, started: datetime
) -> list[FileResult]:
    """Write `result` into the database of `ctx` (see the module docstring); the run of each source."""
    tables = {
        "usage_rollup": _usage_table(result.usage),
        "usage_week_users": _users_table(result.users),
        "feedback_rollup": _feedback_table(result.feedback),
        "scope_examples": _examples_table(result.examples),
    }
    span = None if weeks is None else (wk.week_index(weeks[0]), wk.week_index(weeks[1]))
    runs = []
    with db.connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn, db.transaction(conn):
        rollup.replace_external(conn, ctx.settings.timezone, SOURCE, tables, span)
        for source in result.sources:
            run = _run_result(source, uuid.uuid4().hex, weeks)
            record_run(conn, run, sha256=None, adapter=SOURCE, fmt="spark", started=started, who=ctx.actor)
            for example in source.examples:
                run_sql(
                    conn,
                    "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                    [
                        run.run_id,
                        source.kind,
                        example["file"],
                        example["line"],
                        example["reason"],
                        example["raw"],
                    ],
                )
            runs.append(run)
    return runs
