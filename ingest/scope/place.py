"""Scope placement in the database: fits each deployment's ScopeModel from the registry, plus labelled
requests as examples and a threshold from audited traffic, and writes inferred_use_case / inferred_score /
inferred_band / inferred_fingerprint of its unlabeled usage events with text, plus the model's row in
scope_models, and replaces the weekly rollup's scope grain of the weeks it re-placed.
It never writes a labelled event and never reads metrics/ or dashboard/.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from postlaunch import db, rollup
from postlaunch.config import Context
from postlaunch.registry import Deployment
from scopetext.estimate import bands_of
from scopetext.model import MIN_TRAFFIC_CALIBRATION, OUT_OF_SCOPE, ScopeModel

CHUNK_TEXTS = 20_000  # distinct texts read, placed and written per step: bounds Python's memory
# Labelled requests (the data's use_case, or a person's label outside an audit draw) that join each approved
# use case's examples: the first ones in the order of a hash of their text, so a new label rarely changes
# the set (and the stored events are re-placed only then). Audited requests never join: a request that is
# its own example would look approved, and the error rates learned from the audit would be too good.
TRAFFIC_EXAMPLES = 10
NO_DESCRIPTIONS = (
    "no use_case_descriptions or use_case_examples in the registry: unlabeled requests are not placed"
)

# Rows still to place: unlabeled, with text, placed by another model or never (read from usage_loaded: rows
# of an ingest still appending are placed once it has loaded them).
PENDING = (
    "deployment = $dep AND use_case IS NULL AND request_text IS NOT NULL "
    "AND inferred_fingerprint IS DISTINCT FROM $fp"
)


@dataclass(frozen=True)
class PlacementSummary:
    """What one deployment's placement did. Counts are usage_events rows (a row may stand for several
    requests); `reason` is set when the deployment was skipped."""

    deployment: str
    fingerprint: str | None
    threshold: float | None
    placed: int
    distinct_texts: int
    out_of_scope: int
    seconds: float
    reason: str | None = None
    threshold_source: str | None = None
    cleared: int = 0  # earlier placements removed because the deployment can no longer be placed

    def line(self) -> str:
        """One summary line for a terminal."""
        if self.reason is not None:
            cleared = f" (cleared {self.cleared:,} earlier placements)" if self.cleared else ""
            return f"scope {self.deployment}: skipped: {self.reason}{cleared}"
        if self.placed == 0:
            return f"scope {self.deployment}: nothing to place (threshold {self.threshold:.3f})"
        share = self.out_of_scope / self.placed
        return (
            f"scope {self.deployment}: placed {self.placed:,} unlabeled events ({self.distinct_texts:,} distinct "
            f"texts), {self.out_of_scope:,} out of scope ({share:.1%}); threshold {self.threshold:.3f} "
            f"({self.threshold_source}); {self.seconds:.1f} s"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "deployment": self.deployment,
            "fingerprint": self.fingerprint,
            "threshold": self.threshold,
            "threshold_source": self.threshold_source,
            "placed": self.placed,
            "distinct_texts": self.distinct_texts,
            "out_of_scope": self.out_of_scope,
            "cleared": self.cleared,
            "seconds": round(self.seconds, 3),
            "reason": self.reason,
        }


@cache
def _update_sql() -> str:
    return (Path(__file__).with_name("place.sql")).read_text(encoding="utf-8")


def has_scope_text(dep: Deployment) -> bool:
    """Whether the registry gives the deployment anything to place requests by."""
    return any(v.strip() for v in dep.use_case_descriptions.values()) or any(
        str(e).strip() for examples in dep.use_case_examples.values() for e in examples
    )


def fit_model(dep: Deployment, traffic: dict[str, list[str]] | None = None) -> ScopeModel:
    """The deployment's scope model: every approved use case, with its description (a use case without
    one is described by its name unless it has examples) and examples, and `traffic`'s labelled requests
    as more references (not calibrated on); `scope_threshold` overrides."""
    descriptions = {uc: dep.use_case_descriptions.get(uc, "") for uc in dep.approved_use_cases}
    examples = {uc: list(dep.use_case_examples.get(uc, [])) for uc in dep.approved_use_cases}
    return ScopeModel.fit(descriptions, examples, threshold=dep.scope_threshold, references=traffic)


def traffic_references(
    rows: Iterable[tuple[str, str | None]], approved: Iterable[str]
) -> dict[str, list[str]]:
    """The traffic references of fit_model from (use_case, request text as stored) rows of labelled
    requests: distinct, of an approved use case, with a text, at most TRAFFIC_EXAMPLES per use case,
    first by md5(text) (the hex digest DuckDB's and Spark's md5 give), then text. Rows may come already
    ranked (DuckDB's query) or be any superset of the chosen ones (Spark's): the result is the same."""
    cases = set(approved)
    distinct = {(uc, text) for uc, text in rows if uc in cases and text is not None}
    ranked = sorted(
        distinct,
        key=lambda r: (r[0], hashlib.md5(r[1].encode("utf-8"), usedforsecurity=False).hexdigest(), r[1]),
    )
    traffic: dict[str, list[str]] = {}
    for use_case, text in ranked:
        chosen = traffic.setdefault(use_case, [])
        if len(chosen) < TRAFFIC_EXAMPLES:
            chosen.append(text)
    return traffic


def with_registry_fingerprint(dep: Deployment, model: ScopeModel) -> ScopeModel:
    """`model` with the fingerprint of what the registry alone gives (fit_model without traffic) in its
    calibration, as scope_models stores it (the dashboard compares it with the registry's)."""
    model.calibration["registry_fingerprint"] = fit_model(dep).fingerprint()
    return model


def model_row(dep: str, model: ScopeModel, fp: str) -> tuple[str, str, float, str, datetime]:
    """The deployment's row of scope_models: (deployment, fingerprint, threshold, calibration JSON,
    placed_at)."""
    return dep, fp, float(model.threshold), json.dumps(model.calibration, sort_keys=True), _now()


def fit_with_traffic(conn: duckdb.DuckDBPyConnection, dep: Deployment) -> ScopeModel:
    """fit_model with the deployment's labelled requests as extra examples, then its threshold set from
    the scores of the audited requests people found approved (ScopeModel.recalibrated)."""
    approved = list(dep.approved_use_cases)
    rows = conn.execute(
        f"SELECT use_case, request_text FROM (SELECT DISTINCT use_case, request_text FROM "
        f"{rollup.scope_events('e.deployment = $dep AND e.request_text IS NOT NULL')} "
        "WHERE list_contains($approved::VARCHAR[], use_case)) "
        "QUALIFY row_number() OVER (PARTITION BY use_case ORDER BY md5(request_text), request_text) <= $k "
        "ORDER BY use_case, md5(request_text), request_text",
        {"dep": dep.id, "approved": approved, "k": TRAFFIC_EXAMPLES},
    ).fetchall()
    model = fit_model(dep, traffic_references(rows, approved))
    audited = [
        r[0]
        for r in conn.execute(
            f"SELECT request_text FROM {rollup.scope_events('e.deployment = $dep AND e.request_text IS NOT NULL')} "
            "WHERE list_contains($approved::VARCHAR[], audited_use_case) ORDER BY identity",
            {"dep": dep.id, "approved": approved},
        ).fetchall()
    ]
    if len(audited) < MIN_TRAFFIC_CALIBRATION:
        return model
    return model.recalibrated(model.scores(audited)[1])


def place_pending(
    ctx: Context, deployments: list[str] | None = None, *, progress: bool = False
) -> list[PlacementSummary]:
    """Place every unlabeled usage event with text whose placement is missing or came from another scope
    model, for each deployment (default: every one in the registry), one transaction per deployment.

    Cheap when nothing is pending (one count per deployment, no write), so it can run after every ingest:
    a registry change of descriptions, examples or scope_threshold re-places the stored events.
    """
    ids = list(deployments) if deployments is not None else ctx.registry.ids
    deps = [ctx.registry.get(d) for d in ids]
    return [_place_one(ctx, dep, progress=progress) for dep in deps]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> Any:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def _place_one(ctx: Context, dep: Deployment, *, progress: bool) -> PlacementSummary:
    started = time.perf_counter()
    if not has_scope_text(dep):
        with db.connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
            cleared = _clear_stale(conn, dep.id, ctx.settings.timezone)
        return PlacementSummary(
            dep.id,
            None,
            None,
            0,
            0,
            0,
            time.perf_counter() - started,
            reason=NO_DESCRIPTIONS,
            cleared=cleared,
        )
    with db.connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        conn.execute(f"SET memory_limit = '{ctx.settings.memory_limit}'")  # validated by the setting
        model = with_registry_fingerprint(dep, fit_with_traffic(conn, dep))
        fp = model.fingerprint()
        source = _source(model.calibration)
        pending = int(
            _scalar(conn, f"SELECT count(*) FROM usage_loaded WHERE {PENDING}", {"dep": dep.id, "fp": fp})
            or 0
        )
        stored = _scalar(conn, "SELECT fingerprint FROM scope_models WHERE deployment = ? LIMIT 1", [dep.id])
        if pending == 0 and stored == fp:
            return PlacementSummary(
                dep.id, fp, model.threshold, 0, 0, 0, time.perf_counter() - started, threshold_source=source
            )
        conn.execute("BEGIN TRANSACTION")
        try:
            span = _pending_span(conn, dep.id, fp)
            placed, distinct, outside = _place_in_transaction(conn, dep.id, model, fp, progress=progress)
            if span is not None:  # the weeks whose scope mix changed
                rollup.replace_scope(conn, ctx.settings.timezone, dep.id, *span)
            _save_model(conn, dep.id, model, fp)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return PlacementSummary(
        dep.id,
        fp,
        model.threshold,
        placed,
        distinct,
        outside,
        time.perf_counter() - started,
        threshold_source=source,
    )


def _pending_span(conn: duckdb.DuckDBPyConnection, dep: str, fp: str) -> tuple[datetime, datetime] | None:
    """The first and last timestamp of the rows about to be placed (None: there are none)."""
    lo, hi = conn.execute(
        f"SELECT min(ts), max(ts) FROM usage_loaded WHERE {PENDING}", {"dep": dep, "fp": fp}
    ).fetchone() or (None, None)
    return None if lo is None or hi is None else (lo, hi)


def _source(calibration: dict[str, Any]) -> str:
    """Where the threshold came from, in a few words."""
    if calibration.get("threshold_source", "").startswith("registry"):
        return "registry scope_threshold"
    if "traffic_threshold" in calibration:
        return f"calibrated from {calibration.get('traffic_n')} audited requests"
    if "percentile" in calibration:
        return f"calibrated from {calibration.get('n_examples')} examples"
    return f"default: {calibration.get('n_examples')} examples are too few to calibrate"


def _place_in_transaction(
    conn: duckdb.DuckDBPyConnection, dep: str, model: ScopeModel, fp: str, *, progress: bool
) -> tuple[int, int, int]:
    """Place the distinct pending texts chunk by chunk into a temp table, then one UPDATE joined on the
    text. Returns (events placed, distinct texts, events placed out of scope)."""
    params = {"dep": dep, "fp": fp}
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _scope_pending AS "
        "SELECT row_number() OVER () AS rn, request_text, n FROM ("
        f"SELECT request_text, count(*) AS n FROM usage_loaded WHERE {PENDING} GROUP BY request_text)",
        params,
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _scope_placed (rn BIGINT, use_case VARCHAR, score DOUBLE, band SMALLINT)"
    )
    distinct = int(_scalar(conn, "SELECT count(*) FROM _scope_pending") or 0)
    show = progress and sys.stderr.isatty()
    placed = outside = 0
    for lo in range(0, distinct, CHUNK_TEXTS):
        batch = conn.execute(
            "SELECT rn, request_text, n FROM _scope_pending WHERE rn > ? AND rn <= ?", [lo, lo + CHUNK_TEXTS]
        ).fetchnumpy()
        labels, scores = model.place(batch["request_text"].tolist())
        counts = batch["n"]
        out_mask = np.array([label == OUT_OF_SCOPE for label in labels], dtype=bool)
        placed += int(counts.sum())
        outside += int(counts[out_mask].sum())
        bands = bands_of(scores, model.threshold)  # negative exactly where placed out of scope
        chunk = pa.table(
            {
                "rn": batch["rn"],
                "use_case": pa.array(labels, pa.string()),
                "score": scores,
                "band": pa.array(bands.astype(np.int16)),
            }
        )
        conn.register("_scope_chunk", chunk)
        try:
            conn.execute("INSERT INTO _scope_placed SELECT rn, use_case, score, band FROM _scope_chunk")
        finally:
            conn.unregister("_scope_chunk")
        if show:
            done = min(lo + CHUNK_TEXTS, distinct)
            print(
                f"\rscope {dep}: placed {done:,}/{distinct:,} distinct texts",
                end="",
                file=sys.stderr,
                flush=True,
            )
    if show and distinct:
        print(file=sys.stderr, flush=True)
    if distinct:
        conn.execute(_update_sql(), params)
    conn.execute("DROP TABLE _scope_pending")
    conn.execute("DROP TABLE _scope_placed")
    return placed, distinct, outside


def _save_model(conn: duckdb.DuckDBPyConnection, dep: str, model: ScopeModel, fp: str) -> None:
    """Upsert the deployment's row of scope_models (one row per deployment)."""
    conn.execute("DELETE FROM scope_models WHERE deployment = ?", [dep])
    conn.execute(
        "INSERT INTO scope_models (deployment, fingerprint, threshold, calibration, placed_at) VALUES (?, ?, ?, ?, ?)",
        list(model_row(dep, model, fp)),
    )


def _clear_stale(conn: duckdb.DuckDBPyConnection, dep: str, timezone: str) -> int:
    """A deployment that can no longer be placed keeps no placements from an earlier registry (they would
    still count in its metrics). Writes only when there is something to clear."""
    stale = int(
        _scalar(
            conn,
            "SELECT count(*) FROM usage_loaded WHERE deployment = ? AND use_case IS NULL "
            "AND inferred_fingerprint IS NOT NULL",
            [dep],
        )
        or 0
    )
    model_row = _scalar(conn, "SELECT count(*) FROM scope_models WHERE deployment = ?", [dep])
    if stale == 0 and not model_row:
        return 0
    span = conn.execute(
        "SELECT min(ts), max(ts) FROM usage_loaded WHERE deployment = ? AND use_case IS NULL "
        "AND inferred_fingerprint IS NOT NULL",
        [dep],
    ).fetchone()
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(
            "UPDATE usage_events SET inferred_use_case = NULL, inferred_score = NULL, inferred_band = NULL, "
            "inferred_fingerprint = NULL "
            "WHERE deployment = ? AND use_case IS NULL AND inferred_fingerprint IS NOT NULL "
            "AND run_id NOT IN (SELECT run_id FROM ingest_leases)",
            [dep],
        )
        if span and span[0] is not None:
            rollup.replace_scope(conn, timezone, dep, span[0], span[1])
        conn.execute("DELETE FROM scope_models WHERE deployment = ?", [dep])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return stale
