"""The Spark rollup of usage and feedback sources (Parquet paths or globs, or catalog tables): read,
validate and classify each source as ingest does (ingest/spark/sources.py), redact and place the new
rows with the pandas UDFs, and aggregate them with the measures of postlaunch/measures.py by the local
ISO week, computed from UTC week bounds of Python.
Each deployment's scope model is fitted on the driver as placement fits it (ingest/scope/fit.py): the
registry plus the traffic references, labelled requests of the whole source. The training records, which
the untrained measure joins, are read from the target database on the driver (they are small).

What comes back to the driver is small: the rollup rows, the weekly distinct users, up to five redacted
out-of-scope texts per deployment, week and use case, up to ten redacted labelled texts per deployment and
approved use case (the traffic references), counts by status and reason, and three redacted quarantined
rows per reason. It writes nothing (ingest/spark/load.py does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ingest.kinds import FEEDBACK, USAGE
from ingest.scope.fit import (
    TRAFFIC_EXAMPLES,
    fit_model,
    has_scope_text,
    model_row,
    traffic_references,
    with_registry_fingerprint,
)
from ingest.spark import udfs
from ingest.spark.sources import SourceResult, bounds, micros, new_rows, utc
from ingest.spark.validate import SourceProblem
from postlaunch import db, measures, rollup
from postlaunch import weeks as wk
from postlaunch.config import Context
from postlaunch.errors import PostlaunchError
from scopetext.model import ScopeModel

EXAMPLES_PER_KEY = 5  # as the review shows (metrics/sql/out_of_scope_examples.sql)
SCOPE_KEYS = tuple(k.strip() for k in rollup.SCOPE_KEYS.split(","))
KEYS = tuple(k.strip() for k in rollup.KEYS.split(","))  # usage_rollup's key columns, in its order
KEY_TYPES = {k: "smallint" if k == "inferred_band" else "string" for k in KEYS}
GRAINS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("week", ()),
    ("scope", SCOPE_KEYS),
    ("team", ("team",)),
    ("data_class", ("data_class",)),
    ("model", ("model",)),
)
UNTRAINED_GRAIN = "week"  # the one grain with the untrained measure (NULL on the others)
USAGE_MEASURES = (*[n for n, _ in measures.USAGE], measures.UNTRAINED[0])  # usage_rollup's, in its order


@dataclass
class SparkRollup:
    """The rollup rows (the columns of usage_rollup, usage_week_users, feedback_rollup, scope_examples;
    timestamps as naive UTC datetimes), the rows of scope_models (None: no usage source, the stored ones
    stay) and what each source gave."""

    usage: list[tuple[Any, ...]] = field(default_factory=list)
    models: list[tuple[Any, ...]] | None = None
    users: list[tuple[Any, ...]] = field(default_factory=list)
    feedback: list[tuple[Any, ...]] = field(default_factory=list)
    examples: list[tuple[Any, ...]] = field(default_factory=list)
    sources: list[SourceResult] = field(default_factory=list)
    cached: list[DataFrame] = field(default_factory=list, repr=False)  # persisted while it runs


def week_index(ts: Column, params: dict[str, Any]) -> Column:
    """The local ISO week index of instant `ts`, by the arithmetic of postlaunch/sql/week_index.sql over the
    offsets Python computed from the zone (postlaunch.weeks.tz_params)."""
    s = F.floor(F.unix_micros(ts) / F.lit(1_000_000)).cast("long") + F.lit(
        params["off_min"] + wk.MONDAY_SHIFT_SECONDS
    )
    base = F.floor(s / F.lit(wk.WEEK_SECONDS)).cast("long")
    rem = s - base * F.lit(wk.WEEK_SECONDS)
    deltas = F.map_from_arrays(
        F.array(*[F.lit(int(w)) for w in params["bound_wk"]]).cast("array<bigint>"),
        F.array(*[F.lit(int(d)) for d in params["bound_delta"]]).cast("array<bigint>"),
    )
    lookup = F.coalesce(F.element_at(deltas, base + F.lit(1)), F.lit(0))
    later = (rem >= F.lit(wk.WEEK_SECONDS - params["max_delta"])) & (rem >= F.lit(wk.WEEK_SECONDS) - lookup)
    return base + F.when(later, F.lit(1)).otherwise(F.lit(0))


def _redaction(ctx: Context) -> Any:
    """The redaction pandas UDF: (text as stored after the request_text setting, pii count) per text."""
    setting = ctx.settings.request_text
    schema = T.StructType([T.StructField("text", T.StringType()), T.StructField("pii", T.IntegerType())])

    @F.pandas_udf(schema)  # type: ignore[call-overload]
    def redacted(texts: pd.Series) -> pd.DataFrame:
        return udfs.redact_texts(texts, setting)

    return redacted


def _approved(ctx: Context, deployment: Column) -> Column:
    """The approved use cases of `deployment` (as the registry says now); an empty array for none."""
    approved = F.create_map(
        *[x for d in ctx.registry.ids for x in (F.lit(d), F.array(*[F.lit(u) for u in ctx.registry.get(d).approved_use_cases]).cast("array<string>"))]
    ) if ctx.registry.ids else F.create_map()  # fmt: skip
    return F.coalesce(F.element_at(approved, deployment), F.array().cast("array<string>"))


def _models(ctx: Context, new: DataFrame) -> dict[str, ScopeModel]:
    """The scope model of each deployment with scope text in the registry, fitted as placement fits it
    (ingest/scope/fit.py: fit_with_traffic) with the traffic references of the source's new rows, every
    week of them: up to TRAFFIC_EXAMPLES distinct texts (as stored) per approved use case, the first by
    md5 of the text. A Spark-rolled database holds no audited requests: no recalibration."""
    deps = [ctx.registry.get(d) for d in ctx.registry.ids]
    deps = [d for d in deps if has_scope_text(d)]
    rows: list[Any] = []
    if deps:
        uc, dep = F.col("v__use_case"), F.col("v__deployment")
        labelled = new.where(
            uc.isNotNull() & F.col("n__request_text").isNotNull() & dep.isin(*[d.id for d in deps])
            & F.array_contains(_approved(ctx, dep), uc)
        )  # fmt: skip
        texts = (
            labelled.select(
                dep.alias("deployment"), uc.alias("use_case"), _redaction(ctx)(F.col("n__request_text")).alias("r")
            )
            .select("deployment", "use_case", F.col("r.text").alias("text"))
            .where(F.col("text").isNotNull())
            .distinct()
        )  # fmt: skip
        first = Window.partitionBy("deployment", "use_case").orderBy(
            F.md5(F.col("text").cast("binary")), F.col("text")
        )
        rows = (
            texts.withColumn("__n", F.row_number().over(first))
            .where(F.col("__n") <= TRAFFIC_EXAMPLES)
            .select("deployment", "use_case", "text")
            .collect()
        )
    models = {}
    for d in deps:
        traffic = traffic_references(((r[1], r[2]) for r in rows if r[0] == d.id), d.approved_use_cases)
        models[d.id] = with_registry_fingerprint(d, fit_model(d, traffic))
    return models


def _training(ctx: Context) -> list[tuple[str, str | None, int, int | None]]:
    """The training records of the target database (user_id, deployment, completed_at and expires_at as
    UTC microseconds), read on the driver; none when the database does not exist yet."""
    if not ctx.db.exists():
        return []
    sql = (
        "SELECT user_id, deployment, epoch_us(completed_at), epoch_us(expires_at) FROM training_records "
        "ORDER BY ALL"
    )
    timeout = ctx.settings.lock_timeout_seconds
    try:
        with db.connect(ctx.db, read_only=True, timeout=timeout) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]  # type: ignore[misc]
    except PostlaunchError:  # not migrated yet: load migrates it anyway
        with db.connect(ctx.db, timeout=timeout) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]  # type: ignore[misc]


def _untrained(
    spark: SparkSession, new: DataFrame, training: list[tuple[str, str | None, int, int | None]]
) -> DataFrame:
    """`new` with the per-event flag `untrained` of measures.UNTRAINED: no training record of the event's
    user, for its deployment or every deployment (NULL), completed at or before the event and not expired
    by then (postlaunch.rollup.UNTRAINED). Without any training record every event is untrained."""
    if not training:
        return new.withColumn("untrained", F.lit(True))
    schema = "__t_user string, __t_dep string, __t_from bigint, __t_until bigint"
    records = F.broadcast(spark.createDataFrame(training, schema))
    ts = micros(F.col("v__timestamp"))
    valid = (
        (F.col("v__user_id") == F.col("__t_user"))
        & (F.col("__t_dep").isNull() | (F.col("__t_dep") == F.col("v__deployment")))
        & (F.col("__t_from") <= ts)
        & (F.col("__t_until").isNull() | (F.col("__t_until") > ts))
    )
    trained = new.join(records, valid, "left_semi").withColumn("untrained", F.lit(False))
    untrained = new.join(records, valid, "left_anti").withColumn("untrained", F.lit(True))
    return trained.unionByName(untrained)


def _usage_events(ctx: Context, new: DataFrame, models: dict[str, ScopeModel]) -> DataFrame:
    """The new usage rows as stored: request_text after the request_text setting, has_text, pii_count
    (redaction UDF), inferred_use_case and inferred_band (placement UDF, for unlabeled rows with text of a
    deployment with a scope model), audited_use_case (always NULL: no audit sample here) and untrained."""
    ev = new.select(
        F.col("v__deployment").alias("deployment"),
        F.col("v__timestamp").alias("ts"),
        *[F.col(f"v__{c}").alias(c) for c in ("user_id", "team", "use_case", "model", "input_tokens",
                                               "output_tokens", "outcome", "data_class", "cost", "requests")],
        F.col("n__request_text").isNotNull().alias("has_text"),
        "untrained",
        _redaction(ctx)(F.col("n__request_text")).alias("__red"),
    )  # fmt: skip
    ev = ev.select(
        "*",
        F.col("__red.text").alias("request_text"),
        F.col("__red.pii").alias("pii_count"),
        F.lit(None).cast("string").alias("audited_use_case"),
    ).drop("__red")
    if not models:
        return ev.withColumn("inferred_use_case", F.lit(None).cast("string")).withColumn(
            "inferred_band", F.lit(None).cast("smallint")
        )
    pending = F.coalesce(
        F.col("use_case").isNull() & F.col("request_text").isNotNull() & F.col("deployment").isin(*models),
        F.lit(False),
    )
    schema = T.StructType([T.StructField("label", T.StringType()), T.StructField("band", T.ShortType())])
    place = F.pandas_udf(udfs.placer(models), schema)  # type: ignore[call-overload]
    # one UDF over every row, given the deployment only where pending: the redaction runs once per row
    placed = ev.withColumn("__placed", place(F.when(pending, F.col("deployment")), F.col("request_text")))
    return placed.select(
        "*",
        F.col("__placed.label").alias("inferred_use_case"),
        F.col("__placed.band").alias("inferred_band"),
    ).drop("__placed")


def _span(df: DataFrame) -> tuple[datetime, datetime]:
    lo, hi = df.agg(F.min(micros(F.col("ts"))), F.max(micros(F.col("ts")))).first() or (None, None)
    if lo is None or hi is None:  # pragma: no cover - a frame with new rows has a span
        raise SourceProblem("no timestamps")
    return utc(lo), utc(hi)  # type: ignore[return-value]


def _aggregate(df: DataFrame, group: Iterable[str], measures_: tuple[tuple[str, str], ...]) -> DataFrame:
    return df.groupBy(*group).agg(*[F.expr(expr).alias(name) for name, expr in measures_])


def _usage(ctx: Context, ev: DataFrame, out: SparkRollup) -> None:
    lo, hi = _span(ev)
    ev = ev.withColumn("wk", week_index(F.col("ts"), wk.tz_params(ctx.settings.timezone, lo, hi)))
    ev = ev.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        parts = []
        for grain, keys in GRAINS:
            untrained = grain == UNTRAINED_GRAIN
            part = _aggregate(
                ev, ["deployment", "wk", *keys], measures.USAGE + ((measures.UNTRAINED,) if untrained else ())
            ).withColumn("grain", F.lit(grain))
            for key in KEYS:
                if key not in keys:
                    part = part.withColumn(key, F.lit(None).cast(KEY_TYPES[key]))
            if not untrained:
                part = part.withColumn(measures.UNTRAINED[0], F.lit(None).cast("bigint"))
            parts.append(part.select("deployment", "wk", "grain", *KEYS, *USAGE_MEASURES))
        usage = parts[0]
        for part in parts[1:]:
            usage = usage.unionByName(part)
        out.usage += [tuple(r) for r in usage.collect()]
        users = _aggregate(ev, ["deployment", "wk"], measures.USERS)
        out.users += [tuple(r) for r in users.collect()]
        out.examples += _examples(ctx, ev)
    finally:
        ev.unpersist()


def _examples(ctx: Context, ev: DataFrame) -> list[tuple[Any, ...]]:
    """Up to five distinct texts per deployment, week, use case and source whose use case is outside the
    approved ones (as the registry says now), earliest first: what the review shows."""
    uc = F.coalesce(F.col("use_case"), F.col("inferred_use_case"))
    outside = uc.isNotNull() & ~F.array_contains(_approved(ctx, F.col("deployment")), uc)
    texts = (
        ev.where(outside & F.col("request_text").isNotNull() & (F.col("request_text") != ""))
        .select(
            "deployment",
            "wk",
            uc.alias("uc"),
            F.when(F.col("use_case").isNotNull(), F.lit("labelled"))
            .otherwise(F.lit("inferred"))
            .alias("source"),
            "request_text",
            micros(F.col("ts")).alias("us"),
        )  # fmt: skip
        .groupBy("deployment", "wk", "uc", "source", "request_text")
        .agg(F.min("us").alias("first_us"))
    )
    rank = Window.partitionBy("deployment", "wk", "uc", "source").orderBy("first_us", "request_text")
    top = texts.withColumn("__n", F.row_number().over(rank)).where(F.col("__n") <= EXAMPLES_PER_KEY)
    rows = top.select("deployment", "wk", "uc", "source", "request_text", "first_us").collect()
    return [(r[0], r[1], r[2], r[3], r[4], utc(r[5])) for r in rows]


def _feedback(ctx: Context, new: DataFrame, out: SparkRollup) -> None:
    ev = new.select(
        F.col("v__deployment").alias("deployment"),
        F.col("v__timestamp").alias("ts"),
        *[F.col(f"v__{c}").alias(c) for c in ("rating", "thumbs", "accepted", "rework_minutes")],
    )
    lo, hi = _span(ev)
    ev = ev.withColumn("wk", week_index(F.col("ts"), wk.tz_params(ctx.settings.timezone, lo, hi)))
    out.feedback += [tuple(r) for r in _aggregate(ev, ["deployment", "wk"], measures.FEEDBACK).collect()]


def roll_up(spark: SparkSession, ctx: Context, *, usage: str | None, feedback: str | None,
            weeks: tuple[str, str] | None) -> SparkRollup:  # fmt: skip
    """The rollup of the given sources (each a Parquet path or glob, or a catalog table), of every week or
    of `weeks` (first, last; ISO weeks in the configured timezone). Duplicates are judged over the whole
    source, whatever the weeks."""
    out = SparkRollup()
    week_span = bounds(weeks, ctx.settings.timezone)
    try:
        if usage is not None:
            result, every, new = new_rows(spark, ctx, USAGE, usage, week_span, out.cached)
            out.sources.append(result)
            models = _models(ctx, every)
            out.models = [model_row(dep, model, model.fingerprint()) for dep, model in models.items()]
            if new is not None:
                _usage(ctx, _usage_events(ctx, _untrained(spark, new, _training(ctx)), models), out)
        if feedback is not None:
            result, _, new = new_rows(spark, ctx, FEEDBACK, feedback, week_span, out.cached)
            out.sources.append(result)
            if new is not None:
                _feedback(ctx, new, out)
    finally:
        for frame in out.cached:
            frame.unpersist()
        out.cached.clear()
    return out
