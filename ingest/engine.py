"""The ingest engine: one code path for the command line, the dashboard's upload and the adapters.
Per file: read, validate, classify and write in ONE transaction with its run record; a file-level
problem loads nothing and records a failed run. It never prints (the command does) and never commits
part of a file.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ingest import readers, redact, store, validate
from ingest.adapters import ADAPTERS
from ingest.kinds import KINDS, Kind, missing_required
from ingest.mapping import Mapping, resolve
from ingest.readers import FileProblem, Source
from ingest.runs import FileResult, Sha256, Stages, failed, now, record_run
from ingest.sqltext import Binder, quote_ident, run_sql
from ingest.staged import KEY, LINE, RAW, REASON, Adapter, Staged
from postlaunch import db, rollup
from postlaunch.config import Context
from postlaunch.errors import DatabaseBusyError, PostlaunchError, UsageError
from postlaunch.registry_log import record_registry_change

__all__ = ["FileResult", "ingest_file", "ingest_paths", "load_staged", "known_kinds"]


def _configure(conn: duckdb.DuckDBPyConnection, ctx: Context, progress: bool = False) -> None:
    # DuckDB's buffer limit during ingest (setting memory_limit, validated there); larger files spill to disk
    run_sql(conn, f"SET memory_limit = '{ctx.settings.memory_limit}'")
    # DuckDB draws its bar on stdout: only where both streams are a terminal (never into --json or a pipe)
    bar = progress and sys.stdout.isatty() and sys.stderr.isatty()
    run_sql(conn, f"SET enable_progress_bar = {'true' if bar else 'false'}")


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


def _load(conn: duckdb.DuckDBPyConnection, ctx: Context, kind: Kind, source: Source, *, file: str,
          mapping: Mapping | None, strict: bool, run_id: str, bind: Binder, stages: Stages,
          source_label: str | None = None,
          source_id: Callable[[], str | None] = lambda: None) -> tuple[store.Counts, list[str]]:  # fmt: skip
    """Validate `source` into a temp table and write it (inside the caller's transaction)."""
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
    sql = f"CREATE TEMP TABLE {store.BASE} AS {plan.sql}"
    try:
        run_sql(conn, sql, bind.used(sql))
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:
        text = str(exc).splitlines()[0]
        if "gzip" in text.lower():
            raise FileProblem(f"truncated or corrupt gzip file ({text})") from exc
        raise FileProblem(f"cannot be read: {text}") from exc
    run_sql(conn, "SET TimeZone = 'UTC'")  # now() of the run record and quarantine rows is UTC
    rejects = readers.collect_rejects(conn, source)
    store.number_rows(conn, source.numbered, source.first_line)
    ((kept,),) = run_sql(conn, f"SELECT count(*) FROM {store.V}")
    if kept == 0 and rejects:
        raise FileProblem(f"{source.unreadable_message}; line {rejects[0][0]}: {rejects[0][1]}")
    if rejects:
        store.renumber(conn, rejects, source.first_line)
    stages("writing")

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

    counts = store.write(
        conn, kind, plan.outputs, run_id=run_id, file=file, rejects=rejects,
        conflict_raw=conflict_raw, strict=strict, source_id=source_id,
    )  # fmt: skip
    if counts.loaded and kind.name == "usage":  # the weekly rollup stays current, in the same transaction
        rollup.add_usage(conn, ctx.settings.timezone, store.NEW_ROWS)
    elif counts.loaded and kind.name == "feedback":
        rollup.add_feedback(conn, ctx.settings.timezone, store.NEW_ROWS)
    elif counts.loaded and kind.name == "labels":  # the labelled events' weeks change their scope mix
        rollup.replace_scope_of_events(conn, ctx.settings.timezone, store.NEW_VERSIONS)
    elif counts.loaded and kind.name == "training":  # the untrained measure joins the training records
        every = [r[0] for r in run_sql(conn, "SELECT DISTINCT deployment FROM usage_events")]
        rollup.replace_week_grain(conn, ctx.settings.timezone, store.NEW_ROWS, every)
    if counts.rows == 0:  # a quiet day: a valid file without rows is a run like any other, noted
        counts.notes["empty"] = source.empty_note
    return counts, matched.extra


def _run(ctx: Context, kind: Kind, file: str, make_source: Callable[[duckdb.DuckDBPyConnection, Binder], Source], *, mapping: Mapping | None, strict: bool,
         progress: bool, sha: Sha256 | None, sha256: str | None = None, adapter: str | None = None,
         fmt: str | None = None, extra_columns: list[str] | None = None, notes: dict[str, Any] | None = None,
         source_label: str | None = None) -> FileResult:  # fmt: skip
    run_id = uuid.uuid4().hex
    started = now()
    stages = Stages(file, progress)
    sources: list[Source] = []  # the file as read, kept to clean up its temp files afterwards

    def opened(conn: duckdb.DuckDBPyConnection, bind: Binder) -> Source:
        sources.append(make_source(conn, bind))
        return sources[0]

    try:
        with db.connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
            _configure(conn, ctx, progress)
            result = _write_file(conn, ctx, kind, opened, file=file, mapping=mapping, strict=strict,
                                 run_id=run_id, started=started, stages=stages, source_label=source_label,
                                 extra_columns=extra_columns or [], notes=notes or {},
                                 digest=lambda: sha.result() if sha else sha256, adapter=adapter, fmt=fmt)  # fmt: skip
    except FileProblem as exc:
        stages.done()
        return failed(ctx, kind.name, file, str(exc), run_id=run_id, started=started,
                       sha256=sha.result() if sha else sha256, adapter=adapter,
                       fmt=fmt or (sources[0].format if sources else None))  # fmt: skip
    except DatabaseBusyError as exc:  # nothing was written; recording the failure would wait again
        stages.done()
        return FileResult(file, kind.name, 0, 0, 0, 0, "failed", f"not loaded: {exc}", [], [], run_id)
    finally:
        for source in sources:
            source.cleanup()
    stages.done()
    return result


def ingest_file(ctx: Context, kind: str, path: Path, *, mapping: Mapping | None = None, strict: bool = False,
                progress: bool = False) -> FileResult:  # fmt: skip
    """Ingest one file of a contract kind; never raises for a bad file (the result says failed and why)."""
    kind_decl = KINDS[kind]
    path = Path(path)
    file = str(path)
    try:
        fmt, _, _ = readers.detect(path)
    except FileProblem as exc:
        return failed(ctx, kind, file, str(exc), run_id=uuid.uuid4().hex, started=now())
    tag = uuid.uuid4().hex[:8]
    return _run(ctx, kind_decl, file, lambda conn, bind: readers.read(conn, path, bind, tag), mapping=mapping,
                strict=strict, progress=progress, sha=Sha256(path))  # fmt: skip


def staged_source(conn: duckdb.DuckDBPyConnection, staged: Staged, tag: str) -> Source:
    """Register an adapter's arrow table and describe it like a file."""
    table = staged.table
    if LINE not in table.column_names:
        raise FileProblem(f"adapter output lacks the {LINE} column")
    table = table.append_column("__row", pa.array(range(table.num_rows), pa.int64()))
    name = f"__pl_staged_{tag}"
    conn.register(name, table)
    header = staged.contract_columns()
    exprs = [f"CAST({quote_ident(c)} AS VARCHAR)" for c in header]
    raw = quote_ident(RAW) if RAW in table.column_names else "NULL"
    reason = f"CAST({quote_ident(REASON)} AS VARCHAR)" if REASON in table.column_names else "NULL"
    key = f"CAST({quote_ident(KEY)} AS VARCHAR)" if KEY in table.column_names else None
    return Source(staged.format, quote_ident(name), header, exprs, raw, reason_sql=reason, key_sql=key)


def _staged_reader(staged: Staged, tag: str) -> Callable[[duckdb.DuckDBPyConnection, Binder], Source]:
    return lambda conn, _bind: staged_source(conn, staged, tag)


def load_staged(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    staged: Staged,
    *,
    strict: bool = False,
    who: str | None = None,
) -> FileResult:
    """Validate and write an adapter's staged rows on `conn`, in one transaction with the run record
    (`who`: the person the run is recorded for, when not the OS user, e.g. a page's form).

    A file-level problem raises FileProblem after rolling back (the caller records the failed run).
    """
    if staged.kind not in KINDS:
        raise UsageError(f"adapter produced unknown kind {staged.kind!r}")
    kind = KINDS[staged.kind]
    tag = uuid.uuid4().hex[:8]
    _configure(conn, ctx)
    try:
        return _write_file(conn, ctx, kind, _staged_reader(staged, tag), file=staged.file,
                           mapping=None, strict=strict, run_id=uuid.uuid4().hex, started=now(),
                           stages=Stages(staged.file, False), source_label=staged.adapter,
                           extra_columns=staged.extra_columns, notes=staged.notes,
                           digest=lambda: staged.sha256, adapter=staged.adapter, fmt=staged.format,
                           who=who)  # fmt: skip
    finally:
        conn.unregister(f"__pl_staged_{tag}")


def _write_file(conn: duckdb.DuckDBPyConnection, ctx: Context, kind: Kind,
                make_source: Callable[[duckdb.DuckDBPyConnection, Binder], Source], *, file: str,
                mapping: Mapping | None, strict: bool, run_id: str, started: datetime, stages: Stages,
                source_label: str | None, extra_columns: list[str], notes: dict[str, Any],
                digest: Callable[[], str | None], adapter: str | None, fmt: str | None,
                who: str | None = None) -> FileResult:  # fmt: skip
    """Read, validate and write one file's rows with its run record, in one transaction on `conn`:
    everything or nothing (a FileProblem or any error rolls back)."""
    run_sql(conn, "BEGIN TRANSACTION")
    try:
        stages("reading")
        bind = Binder()
        source = make_source(conn, bind)
        counts, extra = _load(conn, ctx, kind, source, file=file, mapping=mapping, strict=strict,
                              run_id=run_id, bind=bind, stages=stages, source_label=source_label,
                              source_id=digest)  # fmt: skip
        result = FileResult(file, kind.name, counts.rows, counts.loaded, counts.duplicates,
                            counts.quarantined, "loaded", None, extra_columns + extra,
                            store.sample_reasons(conn, run_id), run_id, {**notes, **counts.notes})  # fmt: skip
        record_run(conn, result, sha256=digest(), adapter=adapter, fmt=fmt or source.format, started=started,
                   who=who or ctx.actor)  # fmt: skip
        run_sql(conn, "COMMIT")
    except BaseException:
        run_sql(conn, "ROLLBACK")
        raise
    finally:
        store.drop_temp(conn)
    return result


def _adapter_files(ctx: Context, name: str, adapter: Adapter, path: Path, options: dict[str, Any], strict: bool,
                   progress: bool) -> list[FileResult]:  # fmt: skip
    file, started = str(path), now()
    try:
        # missing, directory, empty, binary: the same messages as for native files; a JSON export may
        # be blank on a day without requests (an OpenTelemetry file exporter writes nothing then)
        readers.detect(path, blank_ok=getattr(adapter, "blank_file_ok", False))
        staged_list = adapter.read(path, ctx, options)
    except (FileProblem, PostlaunchError) as exc:
        kinds = getattr(adapter, "kinds", None) or [name]
        return [failed(ctx, kinds[0], file, str(exc), run_id=uuid.uuid4().hex, started=started, adapter=name)]
    results = []
    for staged in staged_list:
        tag = uuid.uuid4().hex[:8]
        results.append(
            _run(
                ctx,
                KINDS[staged.kind],
                staged.file,
                _staged_reader(staged, tag),
                mapping=None,
                strict=strict,
                progress=progress,
                sha=None,
                sha256=staged.sha256,
                adapter=staged.adapter,
                fmt=staged.format,
                extra_columns=staged.extra_columns,
                notes=staged.notes,
                source_label=staged.adapter,
            )  # fmt: skip
        )
    return results


def known_kinds() -> str:
    adapters = ", ".join(sorted(ADAPTERS)) or "none installed"
    return f"kinds: {', '.join(KINDS)}; adapters: {adapters}"


def ingest_paths(ctx: Context, kind_or_adapter: str, paths: list[Path], *, mapping: Mapping | None = None,
                 strict: bool = False, progress: bool = False,
                 adapter_options: dict[str, Any] | None = None) -> list[FileResult]:  # fmt: skip
    """Ingest every path as a contract kind or through an adapter; the one path of the CLI and the upload.

    Bad arguments (unknown kind, a mapping naming no column of the kind) raise UsageError before any
    file is touched; a bad file yields a failed FileResult and the others still proceed.
    """
    if kind_or_adapter not in KINDS and kind_or_adapter not in ADAPTERS:
        raise UsageError(f"unknown kind {kind_or_adapter!r}; {known_kinds()}")
    if not paths:
        raise UsageError("no FILE given")
    if mapping is not None:
        if kind_or_adapter not in KINDS:
            raise UsageError(
                f"--map and --map-file apply to contract kinds, not to the {kind_or_adapter} adapter"
            )
        mapping.check(KINDS[kind_or_adapter])
    with db.connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        record_registry_change(conn, ctx.registry)
        rollup.ensure_current(conn, ctx.settings.timezone)
    results: list[FileResult] = []
    for path in paths:
        if kind_or_adapter in KINDS:
            results.append(ingest_file(ctx, kind_or_adapter, Path(path), mapping=mapping, strict=strict,
                                       progress=progress))  # fmt: skip
        else:
            results.extend(_adapter_files(ctx, kind_or_adapter, ADAPTERS[kind_or_adapter], Path(path),
                                          adapter_options or {}, strict, progress))  # fmt: skip
    return results
