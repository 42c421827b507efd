"""The Spark rollup validates as ingest does (DESIGN §18 "the same rules and reasons"): the same values of
every contract column type go through `postlaunch ingest` and through the Spark validator, and each row
gets the same reason, word for word, or the same parsed value; the pandas UDFs (redaction, placement)
give ingest's results under pandas 3, which pyspark 4 warns it does not fully support."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.engine import ingest_paths
from ingest.kinds import FEEDBACK, USAGE
from postlaunch.db import connect

pytestmark = [pytest.mark.spark, pytest.mark.slow]

BASE = {"timestamp": "2026-11-02T10:00:00Z", "deployment": "support-triage", "user_id": "u1"}
TIMESTAMPS = [
    "2026-11-02T10:00:00Z", "2026-11-02 10:00:00", "2026-11-02T10:00", "2026-11-02", "2026-11-2 9:05",
    "2026-11-02T10:00:00.123456789Z", "2026-11-02T10:00:00+02:00", "2026-11-02 10:00:00+0200",
    "2026-11-02 10:00:00-05", "2026-11-02T10:00:00.5-05:30", "2026-11-02 10:00:00 UTC",
    "2026-11-02 10:00:00 America/New_York", "2026-10-25 02:30:00", "2026-03-29 02:30:00",
    "2026-11-01 01:30:00", "2026-03-08 02:30:00", "1793613600", "1793613600.25", "1793613600123",
    "2026-02-30 10:00:00", "2026-13-01", "2026-11-02 10:00:60", "tomorrow", "20261102", "2026-11",
    "12345", "-1793613600", "2026-11-02T10:00:00 +01",
]  # fmt: skip
NUMBERS = ["1", "0", "12", "1.0", "1.5", "-1", "1e3", "1E2", "+5", ".5", "5.", "1_000", "1,000", "0x10",
           "inf", "-Infinity", "nan", "1e400", "abc", "00012", " 7 ", "9e18", "8e18"]  # fmt: skip
RATINGS = ["1", "5", "5.0", "0", "6", "2.5", "-1", "inf", "nan", "x", "3 "]
BOOLS = ["true", "FALSE", "Yes", "no", "1", "0", "maybe", "y", " true"]
OUTCOMES = ["ok", "ERROR", "Refused", "escalated", "maybe", " ok ", "o k"]
TEXTS = ["plain", "  padded  ", "\ttab", "", "   ", "x" * 200]


def _rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    usage: list[dict[str, Any]] = []
    usage += [{**BASE, "timestamp": t} for t in TIMESTAMPS]
    for column in ("input_tokens", "requests", "cost", "latency_ms"):
        usage += [{**BASE, column: n} for n in NUMBERS]
    usage += [{**BASE, "outcome": o} for o in OUTCOMES]
    usage += [{**BASE, "data_class": d} for d in ("public", "RESTRICTED", "secret")]
    usage += [{**BASE, "deployment": d} for d in ("hr-assistant", "nowhere", "", "Support-Triage")]
    usage += [{**BASE, "user_id": u} for u in ("", "  ", "u 2")]
    usage += [{**BASE, "team": t, "use_case": t} for t in TEXTS]
    feedback = [{**BASE, "rating": r} for r in RATINGS] + [{**BASE, "accepted": b} for b in BOOLS]
    feedback += [{**BASE, "thumbs": t} for t in ("up", "DOWN", "sideways")]
    feedback += [{**BASE, "rework_minutes": n} for n in NUMBERS]
    return usage, feedback


def _write(path: Path, rows: list[dict[str, Any]], names: list[str], ids: str | None = None) -> None:
    """Rows as Parquet text columns; with `ids` (the identity column), each row gets an id of its own so
    that no row is a duplicate of another."""
    table = {n: pa.array([r.get(n) for r in rows], pa.string()) for n in names}
    if ids is not None:
        table[ids] = pa.array([f"{ids}-{i}" for i in range(len(rows))], pa.string())
    pq.write_table(pa.table(table), path)


def _ingested(workspace: Any, path: Path, kind: str) -> dict[int, Any]:
    ctx = workspace.ctx()
    (result,) = ingest_paths(ctx, kind, [path])
    assert result.status == "loaded", result.message
    table = "usage_events" if kind == "usage" else "feedback"
    columns = [c.stored for c in (USAGE if kind == "usage" else FEEDBACK).columns]
    out: dict[int, Any] = {}
    with connect(ctx.db, read_only=True) as conn:
        for line, reason in conn.execute("SELECT line, reason FROM quarantine").fetchall():
            out[int(line)] = reason
        for row in conn.execute(f"SELECT line, {', '.join(columns)} FROM {table}").fetchall():
            out[int(row[0])] = dict(zip(columns, row[1:], strict=True))
    return out


def _validated(spark: Any, workspace: Any, path: Path, kind: str) -> dict[int, Any]:
    from ingest.spark.sources import read
    from ingest.spark.validate import validate

    declared = USAGE if kind == "usage" else FEEDBACK
    checked = validate(read(spark, str(path)), declared, workspace.ctx()).df
    columns = [c.stored for c in declared.columns]
    picked = checked.select("__line", "__reason", *[f"v__{c.name}" for c in declared.columns]).collect()
    out: dict[int, Any] = {}
    for row in picked:
        if row["__reason"] is not None:
            out[int(row["__line"])] = row["__reason"]
        else:
            values = [row[f"v__{c.name}"] for c in declared.columns]
            out[int(row["__line"])] = dict(zip(columns, values, strict=True))
    return out


def _comparable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if hasattr(value, "tzinfo") and value.tzinfo is not None:  # Spark hands instants back as aware times
        return value.astimezone(__import__("datetime").UTC).replace(tzinfo=None)
    return value


def _differences(spark: Any, workspace: Any, kind: str, rows: list[dict[str, Any]]) -> dict[int, Any]:
    """Ingest's and Spark's outcome (reason, or parsed values) of every row where they differ."""
    declared = USAGE if kind == "usage" else FEEDBACK
    path = workspace.path / f"{kind}.parquet"
    _write(path, rows, declared.names, ids=declared.identity)
    ingested, validated = _ingested(workspace, path, kind), _validated(spark, workspace, path, kind)
    assert len(ingested) == len(rows)
    return {
        line: (ingested[line], _comparable(validated.get(line)))
        for line in ingested
        if _comparable(validated.get(line)) != ingested[line]
    }


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin", "America/New_York"])
def test_usage_values_get_the_reasons_and_values_of_ingest(spark: Any, workspace: Any, tz: str) -> None:
    workspace.settings(f'timezone = "{tz}"')
    assert _differences(spark, workspace, "usage", _rows()[0]) == {}


def test_feedback_values_get_the_reasons_and_values_of_ingest(spark: Any, workspace: Any) -> None:
    assert _differences(spark, workspace, "feedback", _rows()[1]) == {}


def test_a_source_without_a_required_column_is_named(spark: Any, workspace: Any) -> None:
    from ingest.spark.sources import read
    from ingest.spark.validate import SourceProblem, validate

    path = workspace.path / "usage.parquet"
    _write(path, [{"timestamp": "2026-11-02", "deployment": "support-triage"}], ["timestamp", "deployment"])
    with pytest.raises(SourceProblem) as err:
        validate(read(spark, str(path)), USAGE, workspace.ctx())
    assert str(err.value) == (
        "required column user_id missing for kind usage (expected timestamp, deployment, user_id; "
        "found deployment, timestamp)"
    )


def test_the_redaction_udf_is_ingests_redaction_under_pandas_3(spark: Any, workspace: Any) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from ingest.spark import udfs

    assert pd.__version__.split(".")[0] == "3"
    texts = ["mail jane.doe@example.com or +44 20 7946 0958", "card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32",
             "order 2026-11-02 for 1,234.56", None, "SSN 123-45-6789 and NI AB 12 34 56 C"]  # fmt: skip
    path = workspace.write("usage.csv", "timestamp,deployment,user_id,request_text\n" + "".join(
        f'2026-11-02T10:00:0{i}Z,support-triage,u{i},"{t}"\n' if t is not None else f"2026-11-02T10:00:0{i}Z,support-triage,u{i},\n"
        for i, t in enumerate(texts)))  # fmt: skip
    ingest_paths(workspace.ctx(), "usage", [path])
    with connect(workspace.db, read_only=True) as conn:
        stored = conn.execute("SELECT request_text, pii_count FROM usage_events ORDER BY line").fetchall()
    schema = T.StructType([T.StructField("text", T.StringType()), T.StructField("pii", T.IntegerType())])

    @F.pandas_udf(schema)  # type: ignore[call-overload]
    def redacted(series: pd.Series) -> pd.DataFrame:
        return udfs.redact_texts(series, "redact")

    frame = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "i int, t string")
    got = frame.select("i", redacted("t").alias("r")).orderBy("i").collect()
    assert [(r["r"]["text"], r["r"]["pii"]) for r in got] == stored
    assert stored[0] == ("mail [EMAIL] or [PHONE]", 2)


def test_the_placement_udf_places_and_bands_as_ingest(spark: Any, workspace: Any) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from ingest.scope.fit import fit_model
    from ingest.spark import udfs
    from scopetext.estimate import bands_of

    registry = json.dumps({"ticket_classification": "Assign an incoming support ticket to a product area"})
    workspace.config.write_text(
        workspace.config.read_text(encoding="utf-8")
        + "\n[deployments.support-triage.use_case_descriptions]\n"
        + "\n".join(f"{k} = {json.dumps(v)}" for k, v in json.loads(registry).items())
        + '\nrouting_suggestion = "Suggest which team should handle a ticket"\n',
        encoding="utf-8",
    )
    ctx = workspace.ctx()
    model = fit_model(ctx.registry.get("support-triage"))
    texts = [
        "Which product area is this login ticket about",
        "Write a poem about autumn",
        "Which team takes refunds",
    ]
    schema = T.StructType([T.StructField("label", T.StringType()), T.StructField("band", T.ShortType())])
    place = F.pandas_udf(udfs.placer({"support-triage": model}), schema)  # type: ignore[call-overload]
    frame = spark.createDataFrame([(i, "support-triage", t) for i, t in enumerate(texts)]
                                  + [(8, None, "Which team takes refunds"), (9, "hr-assistant", "x")],
                                  "i int, d string, t string")  # fmt: skip
    got = [tuple(r["p"]) for r in frame.select("i", place("d", "t").alias("p")).orderBy("i").collect()]
    labels, scores = model.place(texts)
    bands = [int(b) for b in bands_of(scores, model.threshold)]
    assert got == [*zip(labels, bands, strict=True), (None, None), (None, None)]
    assert {b < 0 for b in bands} == {True, False}  # out of scope: a negative band, as placement stores
