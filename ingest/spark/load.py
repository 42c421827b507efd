"""Loads what the Spark rollup brought back into the DuckDB file, in one transaction: the rollup rows
(every week, or the weeks asked for), the redacted out-of-scope examples, the scope model of each
deployment it placed with (scope_models), one ingest run per source with its counts and quarantined rows
by reason, and a few of those rows (redacted) in the quarantine.
Nothing of the raw events is written. It never starts Spark (ingest/spark/pipeline.py does).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from ingest.runs import FileResult, record_run
from ingest.spark.pipeline import KEY_TYPES, KEYS, USAGE_MEASURES, SparkRollup
from ingest.spark.sources import SourceResult
from ingest.sqltext import run_sql
from postlaunch import db, measures, rollup_external
from postlaunch import weeks as wk
from postlaunch.config import Context

SOURCE = "spark"


def _usage_table(rows: list[tuple[Any, ...]]) -> pa.Table:
    names = ["deployment", "wk", "grain", *KEYS, *USAGE_MEASURES]
    types: dict[str, pa.DataType] = {n: pa.int64() for n in USAGE_MEASURES} | {"cost": pa.float64()}
    types |= {
        "deployment": pa.string(),
        "wk": pa.int64(),
        "grain": pa.string(),
        **{k: pa.int16() if KEY_TYPES[k] == "smallint" else pa.string() for k in KEYS},
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


def _models_table(rows: list[tuple[Any, ...]]) -> pa.Table:
    names = ["deployment", "fingerprint", "threshold", "calibration", "placed_at"]
    types = [pa.string(), pa.string(), pa.float64(), pa.string(), pa.timestamp("us")]
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


def _quarantine(conn: duckdb.DuckDBPyConnection, run_id: str, source: SourceResult) -> None:
    """The source's quarantined example rows, keyed as ingest keys them (pl_source_row_key of the raw row and
    its occurrence in the file): a row an earlier run stored already is stored once, that run added to its
    seen_in_runs (ingest/store.py)."""
    seen: dict[tuple[str, str], int] = {}
    for example in sorted(source.examples, key=lambda e: (e["file"], e["line"])):
        occurrence = seen[(example["file"], example["raw"])] = (
            seen.get((example["file"], example["raw"]), 0) + 1
        )
        params = {
            "run": run_id, "kind": source.kind, "file": example["file"], "line": example["line"],
            "reason": example["reason"], "raw": example["raw"], "field": example["field"], "occurrence": occurrence,
        }  # fmt: skip
        run_sql(
            conn,
            "CREATE OR REPLACE TEMP TABLE __pl_spark_key AS "
            "SELECT pl_source_row_key($kind, $raw, $file || ':' || $line, $occurrence) AS source_key",
            {k: params[k] for k in ("kind", "raw", "file", "line", "occurrence")},
        )
        run_sql(
            conn,
            "UPDATE quarantine SET seen_in_runs = list_append(coalesce(seen_in_runs, [run_id]), $run) "
            "WHERE source_key IN (SELECT source_key FROM temp.__pl_spark_key)",
            {"run": run_id},
        )
        run_sql(
            conn,
            "INSERT INTO quarantine (run_id, kind, file, line, reason, raw, quarantined_at, field, source_key, "
            "seen_in_runs) SELECT $run, $kind, $file, $line, $reason, $raw, now()::TIMESTAMP, $field, source_key, "
            "[$run] FROM temp.__pl_spark_key "
            "WHERE source_key NOT IN (SELECT source_key FROM quarantine WHERE source_key IS NOT NULL)",
            {k: v for k, v in params.items() if k != "occurrence"},
        )
    run_sql(conn, "DROP TABLE IF EXISTS temp.__pl_spark_key")


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
    if result.models is not None:  # a usage source was rolled up: its models replace the stored ones
        tables["scope_models"] = _models_table(result.models)
    span = None if weeks is None else (wk.week_index(weeks[0]), wk.week_index(weeks[1]))
    runs = []
    with db.connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn, db.transaction(conn):
        rollup_external.replace_external(conn, ctx.settings.timezone, SOURCE, tables, span)
        for source in result.sources:
            run = _run_result(source, uuid.uuid4().hex, weeks)
            record_run(conn, run, sha256=None, adapter=SOURCE, fmt="spark", started=started, who=ctx.actor)
            _quarantine(conn, run.run_id, source)
            runs.append(run)
    return runs
