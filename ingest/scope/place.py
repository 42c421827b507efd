"""Scope placement in the database: with each deployment's ScopeModel (ingest/scope/fit.py: the registry,
labelled requests as references, a threshold from audited traffic), writes inferred_use_case / inferred_score /
inferred_band / inferred_fingerprint of its unlabeled usage events with text, plus the model's row in
scope_models, and replaces the weekly rollup's scope grain of the weeks it re-placed.
It never writes a labelled event and never reads metrics/ or dashboard/.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.scope.fit import fit_all, has_scope_text, model_row, with_registry_fingerprint
from postlaunch import db, rollup
from postlaunch.config import Context
from postlaunch.registry import Deployment
from scopetext.estimate import bands_of
from scopetext.model import OUT_OF_SCOPE, ScopeModel

CHUNK_TEXTS = 20_000  # distinct texts read, placed and written per step: bounds Python's memory
# Pending distinct texts (of all deployments) read with the pending counts in one pass when there are at most
# this many, as after an ingest: each deployment is then placed without holding the database and written with
# one UPDATE of the span of its pending rows, not three reads of every event. More (a registry change
# re-places everything): chunk by chunk, per deployment, in its transaction.
PRELOAD_TEXTS = 200_000
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


def place_pending(
    ctx: Context, deployments: list[str] | None = None, *, progress: bool = False
) -> list[PlacementSummary]:
    """Place every unlabeled usage event with text whose placement is missing or came from another scope
    model, for each deployment (default: every one in the registry), one transaction per deployment.

    Cheap when nothing is pending (every model fitted from two reads of the events, one count of the
    pending events of all, no write), so it can run after every ingest: a registry change of
    descriptions, examples or scope_threshold re-places the stored events. A database whose rollup
    another engine computes (`postlaunch rollup --engine spark`) holds no events: its scope models come
    from that engine, and nothing is placed or refitted here.
    """
    ids = list(deployments) if deployments is not None else ctx.registry.ids
    deps = [ctx.registry.get(d) for d in ids]
    with db.connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        engine = conn.execute("SELECT source FROM rollup_state ORDER BY built_at DESC LIMIT 1").fetchone()
        if engine is not None and engine[0] != "duckdb":
            return []
        conn.execute(f"SET memory_limit = '{ctx.settings.memory_limit}'")  # validated by the setting
        models = fit_all(conn, [d for d in deps if has_scope_text(d)])
        fits = {}
        for dep_id, model in models.items():
            model = with_registry_fingerprint(ctx.registry.get(dep_id), model)
            fits[dep_id] = _Fit(model, model.fingerprint())
        _count_pending(conn, fits)
    return [_place_one(ctx, dep, fits.get(dep.id), progress=progress) for dep in deps]


@dataclass
class _Fit:
    """A deployment's model, its fingerprint, and how many of its events wait for it (and which
    fingerprint scope_models holds)."""

    model: ScopeModel
    fp: str
    pending: int = 0
    stored: str | None = None
    texts: pa.Table | None = None  # the pending distinct texts (request_text, n, lo, hi), when preloaded


def _count_pending(conn: duckdb.DuckDBPyConnection, fits: dict[str, _Fit]) -> None:
    """Fill each fit's pending count (PENDING, for every deployment in one read) and stored fingerprint, and
    its pending distinct texts when all deployments' together are at most PRELOAD_TEXTS."""
    if not fits:
        return
    table = pa.table({"deployment": list(fits), "fp": [f.fp for f in fits.values()]})
    pending = (
        "FROM usage_loaded u JOIN __pl_fps f ON f.deployment = u.deployment WHERE u.use_case IS NULL "
        "AND u.request_text IS NOT NULL AND u.inferred_fingerprint IS DISTINCT FROM f.fp"
    )
    conn.register("__pl_fps", table)
    try:
        texts = conn.sql(
            "SELECT u.deployment, u.request_text, count(*) AS n, min(u.ts) AS lo, max(u.ts) AS hi "
            f"{pending} GROUP BY u.deployment, u.request_text ORDER BY u.deployment, u.request_text LIMIT $k",
            params={"k": PRELOAD_TEXTS + 1},
        ).to_arrow_table()
        if texts.num_rows <= PRELOAD_TEXTS:
            for dep in set(texts.column("deployment").to_pylist()):
                mine = texts.filter(pc.equal(texts.column("deployment"), dep))
                fits[dep].texts = mine.drop_columns(["deployment"])
                fits[dep].pending = int(pc.sum(mine.column("n")).as_py())
        else:
            counts = conn.execute(f"SELECT u.deployment, count(*) {pending} GROUP BY u.deployment").fetchall()
            for dep, n in counts:
                fits[dep].pending = int(n)
    finally:
        conn.unregister("__pl_fps")
    for dep, fp in conn.execute("SELECT deployment, fingerprint FROM scope_models").fetchall():
        if dep in fits:
            fits[dep].stored = fp


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> Any:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def _place_one(ctx: Context, dep: Deployment, fit: _Fit | None, *, progress: bool) -> PlacementSummary:
    """One deployment's placement with its fit (None: the registry gives nothing to place by)."""
    started = time.perf_counter()
    if fit is None:
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
    model, fp = fit.model, fit.fp
    source = _source(model.calibration)
    if fit.pending == 0 and fit.stored == fp:
        return PlacementSummary(
            dep.id, fp, model.threshold, 0, 0, 0, time.perf_counter() - started, threshold_source=source
        )
    if fit.texts is not None:
        return _place_preloaded(ctx, dep.id, fit, started, source)
    with _transaction(ctx) as conn:
        span = _pending_span(conn, dep.id, fp)
        placed, distinct, outside = _place_in_transaction(conn, dep.id, model, fp, progress=progress)
        if span is not None:  # the weeks whose scope mix changed
            rollup.replace_scope(conn, ctx.settings.timezone, dep.id, *span)
        _save_model(conn, dep.id, model, fp)
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


def _placed(model: ScopeModel, texts: list[str], counts: np.ndarray) -> tuple[dict[str, pa.Array], int]:
    """Place `texts` (each standing for counts[i] events): their use_case, score and band columns, and the
    events placed out of scope. Bands are negative exactly where a text is placed out of scope."""
    labels, scores = model.place(texts) if texts else ([], np.zeros(0))
    out_mask = np.array([label == OUT_OF_SCOPE for label in labels], dtype=bool)
    columns = {
        "use_case": pa.array(labels, pa.string()),
        "score": pa.array(scores, pa.float64()),
        "band": pa.array(bands_of(scores, model.threshold).astype(np.int16)),
    }
    return columns, int(counts[out_mask].sum())


@contextmanager
def _transaction(ctx: Context) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection with the memory limit set, inside one transaction: committed when the block
    ends, rolled back when it raises (a kill included)."""
    with db.connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        conn.execute(f"SET memory_limit = '{ctx.settings.memory_limit}'")  # validated by the setting
        conn.execute("BEGIN TRANSACTION")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _place_preloaded(ctx: Context, dep: str, fit: _Fit, started: float, source: str) -> PlacementSummary:
    """Place the deployment's preloaded pending texts without a connection, then write them in one
    transaction: an UPDATE of its pending rows within the span of those read (rows that arrived since,
    outside it, stay pending for the next run), the scope grain of that span, and its model row."""
    assert fit.texts is not None
    model, fp, texts = fit.model, fit.fp, fit.texts
    counts = texts.column("n").to_numpy()
    columns, outside = _placed(model, texts.column("request_text").to_pylist(), counts)
    placed = pa.table({"request_text": texts.column("request_text"), **columns})
    span = (pc.min(texts.column("lo")).as_py(), pc.max(texts.column("hi")).as_py())
    with _transaction(ctx) as conn:
        if placed.num_rows:
            conn.register("_scope_preloaded", placed)
            try:
                conn.execute(
                    "UPDATE usage_events AS e SET inferred_use_case = x.use_case, inferred_score = x.score, "
                    "inferred_band = x.band, inferred_fingerprint = $fp FROM _scope_preloaded AS x "
                    "WHERE e.deployment = $dep AND e.ts >= $lo AND e.ts <= $hi AND e.use_case IS NULL "
                    "AND e.request_text = x.request_text AND e.inferred_fingerprint IS DISTINCT FROM $fp "
                    "AND e.run_id NOT IN (SELECT run_id FROM ingest_leases)",
                    {"dep": dep, "fp": fp, "lo": span[0], "hi": span[1]},
                )
            finally:
                conn.unregister("_scope_preloaded")
            rollup.replace_scope(conn, ctx.settings.timezone, dep, *span)
        _save_model(conn, dep, model, fp)
    return PlacementSummary(
        dep,
        fp,
        model.threshold,
        int(counts.sum()),
        placed.num_rows,
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
        counts = batch["n"]
        columns, out = _placed(model, batch["request_text"].tolist(), counts)
        placed += int(counts.sum())
        outside += out
        chunk = pa.table({"rn": batch["rn"], **columns})
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
    has_model = _scalar(conn, "SELECT count(*) FROM scope_models WHERE deployment = ?", [dep])
    if stale == 0 and not has_model:
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
