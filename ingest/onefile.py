"""One file's way into the database (DESIGN §4): validate it and find its duplicates and conflicts in the
working connection's temp tables, reading the stored identities in one short read step, then append its
new rows (in chunks under the ingest lease when there are many) and record its run, quarantine and
rollup in one last short transaction (ingest/append.py). It never prints and never commits part of a
file: until the run is recorded, its appended rows are not loaded (ingest/lease.py).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from ingest import append, numbered, readers, redact, store, validate
from ingest.kinds import KINDS, Kind, missing_required
from ingest.mapping import Mapping, resolve
from ingest.readers import FileProblem, Source
from ingest.runs import FileResult, Stages, record_run
from ingest.sqltext import Binder, run_sql
from postlaunch import rollup
from postlaunch.config import Context


def _check_columns(kind: Kind, resolved: dict[str, str], header: list[str], mapping: Mapping | None) -> None:
    present = set(resolved) | set(mapping.defaults if mapping else {})
    missing = missing_required(kind, present)
    if not missing:
        return
    expected = ", ".join(
        c + (f" (or {' + '.join(kind.alternatives[c])})" if c in kind.alternatives else "")
        for c in kind.required
    )
    found = ", ".join(header) or "none"
    hint = ""
    normalized = {h.strip().lower() for h in header}
    # the kind whose required columns are all there and that names most of the file's columns
    fits = [
        (len(normalized & set(other.names)), other.name)
        for other in KINDS.values()
        if other.name != kind.name and not missing_required(other, normalized)
    ]
    if fits:
        best = max(fits)[1]
        hint = f"; this looks like a {best} file (postlaunch ingest {best} FILE)"
    noun = "column" if len(missing) == 1 else "columns"
    raise FileProblem(
        f"required {noun} {', '.join(missing)} missing for kind {kind.name} "
        f"(expected {expected}; found {found}){hint}; rename with --map SRC=DEST if the file names it differently"
    )


def _validate(conn: duckdb.DuckDBPyConnection, ctx: Context, kind: Kind, source: Source, *, mapping: Mapping | None,
              bind: Binder, stages: Stages, source_label: str | None, shared: bool) -> tuple[list[str], list[tuple[int, str, str]], list[str], Callable[[str], tuple[str, dict[str, Any]]]]:  # fmt: skip
    """Validate `source` into the temp view numbered.V (no database needed; `shared`: over tables of the
    working connection's own database, see numbered.SHARED). Returns the stored columns, the
    rows the parser refused, the file's columns kept nowhere, and how to read conflicting rows' raw text."""
    try:
        matched = resolve(kind, source.header, source.exprs, mapping)
    except ValueError as exc:
        raise FileProblem(str(exc)) from exc
    if source.columns_known:
        _check_columns(kind, matched.exprs, source.header, mapping)
    plan = validate.build(
        kind, ctx, bind, source_sql=source.from_sql, exprs=matched.exprs, raw_sql=source.raw_sql,
        reason_sql=source.reason_sql, key_sql=source.key_sql, mapping=mapping, source_label=source_label, numbered=source.numbered,
    )  # fmt: skip
    stages("validating")
    run_sql(conn, "SET TimeZone = $tz", {"tz": ctx.settings.timezone})
    try:
        numbered.create_base(conn, plan.sql, bind.used(plan.sql), shared=shared)
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:
        text = str(exc).splitlines()[0]
        if "gzip" in text.lower():
            raise FileProblem(f"truncated or corrupt gzip file ({text})") from exc
        raise FileProblem(f"cannot be read: {text}") from exc
    run_sql(conn, "SET TimeZone = 'UTC'")  # now() of the run record and quarantine rows is UTC
    rejects = readers.collect_rejects(conn, source)
    numbered.number_rows(conn, source.numbered, source.first_line, shared=shared)
    ((kept,),) = run_sql(conn, f"SELECT count(*) FROM {numbered.V}")
    if kept == 0 and rejects:
        raise FileProblem(f"{source.unreadable_message}; line {rejects[0][0]}: {rejects[0][1]}")
    if rejects:
        numbered.renumber(conn, rejects, source.first_line, shared=shared)

    def conflict_raw(rows_sql: str) -> tuple[str, dict[str, Any]]:
        b = Binder("c")

        raw = redact.redact_sql(f"CAST({source.raw_sql} AS VARCHAR)", b)
        rows = (
            source.from_sql
            if source.numbered
            else f"(SELECT row_number() OVER () - 1 AS __row, * FROM {source.from_sql})"
        )
        sql = f"SELECT __row, {raw} AS raw FROM {rows} WHERE __row IN ({rows_sql})"
        return sql, {**bind.used(sql), **b.params}

    return plan.outputs, rejects, matched.extra, conflict_raw


USAGE_AGG, USERS_AGG, FEEDBACK_AGG = "__pl_rollup_usage", "__pl_rollup_users", "__pl_rollup_feedback"
NEW_USERS = "__pl_new_users"  # distinct (deployment, user, week) of the new rows
TRAINING = "__pl_training"  # the stored training records, copied for the untrained measure of new usage rows


@dataclass
class _Staged:
    """One file's outcome so far: its counts and, for usage, what its new rows touched."""

    counts: store.Counts
    touched: rollup.Touched | None = None
    feedback: bool = False


def _classify(conn: duckdb.DuckDBPyConnection, ctx: Context, kind: Kind, rejects: list[tuple[int, str, str]],
              strict: bool, conflict_raw: Callable[[str], tuple[str, dict[str, Any]]]) -> _Staged:  # fmt: skip
    """Classify the validated file against SEEN and stage what its last transaction writes: the conflicting
    rows' raw text and the rollup aggregates of its new rows (temp tables, no database needed)."""
    store.classify(conn, kind)
    staged = _Staged(store.tally(conn, rejects, strict=strict))
    store.stage_conflict_raw(conn, conflict_raw)
    tz = ctx.settings.timezone
    if staged.counts.loaded and kind.name == "usage":
        staged.touched = rollup.stage_usage(conn, tz, store.NEW_ROWS, USAGE_AGG, TRAINING)
        if staged.touched is not None:
            rollup.stage_new_users(conn, tz, store.NEW_ROWS, NEW_USERS, staged.touched)
    elif staged.counts.loaded and kind.name == "feedback":
        staged.feedback = rollup.stage_feedback(conn, tz, store.NEW_ROWS, FEEDBACK_AGG)
    return staged


def _refuse_spark_rollup(conn: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    rows = run_sql(conn, "SELECT source FROM rollup_state ORDER BY built_at DESC LIMIT 1")
    source = rows[0][0] if rows else "duckdb"
    if kind.name in ("usage", "feedback") and source != "duckdb":
        raise FileProblem(
            f"this database's weekly rollup comes from {source.capitalize()} (`postlaunch rollup --engine "
            f"{source}`), which reads {kind.name} where it lives: add the file there and run it again"
        )


def write_file(target: append.Target, ctx: Context, kind: Kind,
               make_source: Callable[[duckdb.DuckDBPyConnection, Binder], Source], *, file: str,
               mapping: Mapping | None, strict: bool, run_id: str, started: datetime, stages: Stages,
               source_label: str | None, extra_columns: list[str], notes: dict[str, Any],
               digest: Callable[[], str | None], adapter: str | None, fmt: str | None,
               who: str | None = None) -> FileResult:  # fmt: skip
    """Read, validate and write one file's rows with its run record (`who`: the person it is recorded for,
    when not the context's actor, e.g. a page's form): everything or nothing (a FileProblem or any error
    leaves no loaded row behind)."""
    conn = target.conn
    shared = target.path is not None  # a working connection, with its own in-memory database
    try:
        stages("reading")
        bind = Binder()
        source = make_source(conn, bind)
        # a label names a stored usage event: its validation reads them (a labels file is small)
        with target.reading() if kind.name == "labels" else nullcontext():
            outputs, rejects, extra, conflict_raw = _validate(
                conn,
                ctx,
                kind,
                source,
                mapping=mapping,
                bind=bind,
                stages=stages,
                source_label=source_label,
                shared=shared,
            )
        store.repeats(conn, kind)
        store.identities(conn)
        with target.reading():
            _refuse_spark_rollup(conn, kind)
            store.seen(conn, kind)
            if kind.name == "usage":
                rollup.stage_training(conn, TRAINING)
        staged = _classify(conn, ctx, kind, rejects, strict, conflict_raw)
        stages("writing")

        def finish(appended: int | None) -> FileResult:
            """The file's last transaction: rows not appended yet, quarantine, rollup, run record."""
            counts = staged.counts
            store.write(conn, kind, outputs, run_id=run_id, file=file, rejects=rejects, counts=counts,
                        rows_inserted=appended, source_id=digest)  # fmt: skip
            tz = ctx.settings.timezone
            if counts.loaded and kind.name == "labels":  # the labelled events' weeks change their scope mix
                rollup.replace_scope_of_events(conn, tz, store.NEW_VERSIONS)
            elif (
                counts.loaded and kind.name == "training"
            ):  # the untrained measure joins the training records
                rollup.replace_week_grain(conn, tz, store.NEW_ROWS)
            if counts.rows == 0:  # a quiet day: a valid file without rows is a run like any other, noted
                counts.notes["empty"] = source.empty_note
            users = (staged.touched, USERS_AGG) if staged.touched is not None else None
            rollup.append_staged(conn, ctx.settings.timezone, usage=USAGE_AGG if staged.touched else None,
                                 users=users, feedback=FEEDBACK_AGG if staged.feedback else None)  # fmt: skip
            result = FileResult(file, kind.name, counts.rows, counts.loaded, counts.duplicates,
                                counts.quarantined, "loaded", None, extra_columns + extra,
                                store.sample_reasons(conn, run_id), run_id, {**notes, **counts.notes})  # fmt: skip
            record_run(conn, result, sha256=digest(), adapter=adapter, fmt=fmt or source.format, started=started,
                       who=who or ctx.actor)  # fmt: skip
            return result

        if not append.chunked(target, kind, staged.counts.loaded):

            def only_step(_: duckdb.DuckDBPyConnection) -> FileResult:
                nonlocal staged
                delta = store.runs_since(conn, kind)
                if delta:  # another ingest loaded rows since SEEN was read: classify again
                    store.add_seen(conn, kind, delta)
                    staged = _classify(conn, ctx, kind, rejects, strict, conflict_raw)
                if staged.touched is not None:
                    rollup.stage_users(conn, ctx.settings.timezone, staged.touched, NEW_USERS, USERS_AGG)
                return finish(None)

            return append.last_step(target, only_step)
        delta = append.take_lease(target, kind, run_id, file)
        try:
            if delta:
                with target.reading():
                    store.add_seen(conn, kind, delta)
                staged = _classify(conn, ctx, kind, rejects, strict, conflict_raw)
            if staged.touched is not None:
                with target.reading():
                    rollup.stage_users(conn, ctx.settings.timezone, staged.touched, NEW_USERS, USERS_AGG)
            ((last_row,),) = run_sql(conn, f"SELECT coalesce(max(__row), -1) FROM temp.{numbered.V}")
            appended = append.append_chunks(
                target, kind, outputs, run_id, append.stage_skip(conn), int(last_row)
            )
            with target.writing():
                result = finish(appended)
                append.release(conn, run_id)
            return result
        except BaseException:
            append.give_back(target, run_id)
            raise
    finally:
        store.drop_temp(conn, shared=shared)
        if shared:
            append.drop_skip(conn)
        for name in (USAGE_AGG, USERS_AGG, FEEDBACK_AGG, NEW_USERS, TRAINING):
            run_sql(conn, f"DROP TABLE IF EXISTS temp.{name}")
