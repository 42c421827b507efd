"""The Spark rollup's sources (ingest/spark/pipeline.py): a Parquet path or glob, or a catalog table, read with
each row's file and place, validated (ingest/spark/validate.py) and classified as ingest classifies rows (the
first valid row of an identity, in file and row order, is new; a later one with the same content a
duplicate, with other content a conflict), and counted: by status and reason, with a few redacted
quarantined rows per reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from ingest.kinds import Kind
from ingest.spark import udfs
from ingest.spark.validate import SourceProblem, validate
from postlaunch import weeks as wk
from postlaunch.config import Context

QUARANTINE_EXAMPLES = 3  # rows brought back per reason
EPOCH = datetime(1970, 1, 1)


@dataclass
class SourceResult:
    """What one source gave: counts (rows = loaded + duplicates + quarantined + outside the weeks), the
    quarantined rows by reason, a few of them (redacted), and its columns kept nowhere."""

    kind: str
    source: str
    rows: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    outside: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _is_path(source: str) -> bool:
    return (
        "://" in source or any(ch in source for ch in "/*?[") or source.lower().endswith((".parquet", ".pq"))
    )


def read(spark: SparkSession, source: str) -> DataFrame:
    """A Parquet path or glob, or a catalog table, with `__file` and `__row` (the row's place in its file:
    the order in which duplicates are judged, as ingest takes files in the order given)."""
    try:
        df = (
            spark.read.option("mergeSchema", "true").parquet(source)
            if _is_path(source)
            else spark.table(source)
        )
        meta = df.select(
            "*", F.col("_metadata.file_path").alias("__file"), F.col("_metadata.row_index").alias("__row")
        )
        meta.schema  # noqa: B018 - resolves the plan: a table without file metadata fails here
        return meta
    except Exception as exc:  # noqa: BLE001 - Spark's own errors name the problem
        if not _is_path(source) and "_metadata" in str(exc):
            df = spark.table(source)
            return df.select(
                "*", F.lit(source).alias("__file"), F.monotonically_increasing_id().alias("__row")
            )
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceProblem(f"{source}: cannot be read ({first})") from exc


def classify(df: DataFrame, kind: Kind) -> DataFrame:
    """`__status` per row: invalid, new, duplicate or conflict, and its reason (`__reason`)."""
    by_identity = Window.partitionBy("identity").orderBy("__file", "__row")
    valid = (
        df.where(F.col("__why").isNull())
        .withColumn("__rank", F.row_number().over(by_identity))
        .withColumn("__first_content", F.first("content").over(by_identity))
        .withColumn("__first_file", F.first("__file").over(by_identity))
        .withColumn("__first_line", F.first("__line").over(by_identity))
    )
    id_name = kind.identity or "identity"
    id_value = F.substring(F.col(f"v__{kind.identity}"), 1, 80) if kind.identity else F.lit("?")
    start = F.concat(F.lit("line "), F.col("__line"), F.lit(f': {id_name} "'), id_value, F.lit('" appeared '))
    where = F.when(
        F.col("__first_file") == F.col("__file"), F.concat(F.lit("on line "), F.col("__first_line"))
    ).otherwise(
        F.concat(
            F.lit("in "),
            F.regexp_extract("__first_file", r"([^/\\]+)$", 1),
            F.lit(" on line "),
            F.col("__first_line"),
        )
    )
    status = (
        F.when(F.col("__rank") == 1, F.lit("new"))
        .when(F.col("content") == F.col("__first_content"), F.lit("duplicate"))
        .otherwise(F.lit("conflict"))
    )
    valid = (
        valid.withColumn("__status", status)
        .withColumn(
            "__reason",
            F.when(F.col("__status") == "conflict", F.concat(start, where, F.lit(" with other values"))),
        )
        .withColumn(
            "__kinds",
            F.when(F.col("__status") == "conflict", F.lit(f"{id_name}: appeared before with other values")),
        )
        .withColumn("__field", F.when(F.col("__status") == "conflict", F.lit(kind.identity)))
    )
    invalid = df.where(F.col("__why").isNotNull()).withColumn("__status", F.lit("invalid"))
    keep = [c for c in valid.columns if not c.startswith("__first") and c != "__rank"]
    return valid.select(*keep).unionByName(invalid.select(*keep))


def micros(ts: Column) -> Column:
    return F.unix_micros(ts)


def utc(micros: int | None) -> datetime | None:
    return None if micros is None else EPOCH + timedelta(microseconds=int(micros))


def _tally(result: SourceResult, classified: DataFrame, in_range: Column) -> None:
    rows = classified.groupBy("__status", "__kinds").agg(
        F.count(F.lit(1)).alias("n"), F.sum(F.when(in_range, 1).otherwise(0)).alias("inside")
    )
    for status, kinds, n, inside in rows.collect():
        result.rows += int(n)
        if status == "new":
            result.loaded += int(inside)
            result.outside += int(n) - int(inside)
        elif status == "duplicate":
            result.duplicates += int(n)
        else:
            result.quarantined += int(n)
            result.by_reason[kinds or "?"] = result.by_reason.get(kinds or "?", 0) + int(n)
    bad = classified.where(F.col("__status").isin("invalid", "conflict"))
    first = Window.partitionBy("__kinds").orderBy("__file", "__row")
    sample = (
        bad.withColumn("__k", F.row_number().over(first))
        .where(F.col("__k") <= QUARANTINE_EXAMPLES)
        .select("__file", "__line", "__reason", "__raw", "__kinds", "__field")
        .orderBy("__kinds", "__file", "__line")
        .collect()
    )
    texts = pd.Series([r["__reason"] for r in sample] + [r["__raw"] for r in sample], dtype=object)
    redacted = udfs.redact_texts(texts, "redact")["text"].tolist() if len(texts) else []
    for i, r in enumerate(sample):
        result.examples.append(
            {
                "file": r["__file"],
                "line": int(r["__line"]),
                "reason": redacted[i],
                "raw": redacted[len(sample) + i],
                "field": r["__field"],
            }
        )


def bounds(weeks: tuple[str, str] | None, tz: str) -> tuple[datetime, datetime] | None:
    if weeks is None:
        return None
    return wk.week_bounds(weeks[0], tz)[0], wk.week_bounds(weeks[1], tz)[1]


def in_range(bounds: tuple[datetime, datetime] | None) -> Column:
    if bounds is None:
        return F.col("__status") == "new"
    lo, hi = (F.lit(int((b - EPOCH) / timedelta(microseconds=1))) for b in bounds)
    return (
        (F.col("__status") == "new")
        & (micros(F.col("v__timestamp")) >= lo)
        & (micros(F.col("v__timestamp")) < hi)
    )


def new_rows(spark: SparkSession, ctx: Context, kind: Kind, source: str, bounds: tuple[datetime, datetime] | None,
             cached: list[DataFrame]) -> tuple[SourceResult, DataFrame, DataFrame | None]:  # fmt: skip
    """What the source gave, every new row of it (whatever the weeks), and those inside the weeks (None:
    none). The classified rows are persisted and added to `cached`, which the caller unpersists."""
    started = time.perf_counter()
    result = SourceResult(kind.name, source)
    checked = validate(read(spark, source), kind, ctx)
    result.extra = checked.extra
    classified = classify(checked.df, kind).persist(StorageLevel.MEMORY_AND_DISK)
    cached.append(classified)
    inside = in_range(bounds)
    _tally(result, classified, inside)
    new = classified.where(inside)
    result.seconds = time.perf_counter() - started
    return result, classified.where(F.col("__status") == "new"), new if result.loaded else None
