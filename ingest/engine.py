"""The ingest engine: one code path for the command line, the dashboard's upload and the adapters.
Per file (ingest/onefile.py): read, validate and classify in a working connection of its own, then
append and record the run in short steps on the database; a file-level problem loads nothing and
records a failed run. It never prints (the command does) and never loads part of a file.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ingest import lease, readers
from ingest.adapters import ADAPTERS
from ingest.append import Target
from ingest.kinds import KINDS, Kind
from ingest.mapping import Mapping
from ingest.onefile import write_file
from ingest.readers import FileProblem, Source
from ingest.runs import FileResult, Sha256, Stages, failed, now
from ingest.sqltext import Binder, quote_ident, run_sql
from ingest.staged import KEY, LINE, RAW, REASON, Adapter, Staged
from postlaunch import db, rollup, rules
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


SPILL_PREFIX = "postlaunch-ingest-"  # + host + "-" + process id + "-" + a random part, in the temp folder


def spill_folder() -> Path:
    """A new folder for this ingest's DuckDB spill files. An ingest that was killed could not remove its
    own, with whatever it had spilled (up to the file's size): those of this host's processes that no
    longer run are removed first (another host's, sharing the folder, are left alone)."""
    mine = f"{SPILL_PREFIX}{socket.gethostname()}-"
    for old in Path(tempfile.gettempdir()).glob(f"{glob.escape(mine)}*-*"):
        # the rest is <pid>-<mkdtemp's suffix, which has no "-">, so host "x-2"'s folders never pass for x's
        pid, _, suffix = old.name.removeprefix(mine).partition("-")
        if pid.isdigit() and "-" not in suffix and not lease.process_runs(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{mine}{os.getpid()}-"))


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

    # The file's work happens in memory (spilling to a folder of its own); the database is attached only
    # for the short steps that read identities or write.
    spill = spill_folder()
    conn = duckdb.connect()
    try:
        run_sql(conn, f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
        for statement in rules.macro_statements():  # the rule macros, for the rollup staged in memory
            run_sql(conn, statement)
        _configure(conn, ctx, progress)
        target = Target(conn, ctx.db, ctx.settings.lock_timeout_seconds)
        result = write_file(target, ctx, kind, opened, file=file, mapping=mapping, strict=strict,
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
        conn.close()
        shutil.rmtree(spill, ignore_errors=True)
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
    """Validate and write an adapter's staged rows on `conn`, a connection to the database that the caller
    holds throughout (so nothing is appended in chunks), with the run record (`who`: the person the run is
    recorded for, when not the OS user, e.g. a page's form).

    A file-level problem raises FileProblem after rolling back (the caller records the failed run).
    """
    if staged.kind not in KINDS:
        raise UsageError(f"adapter produced unknown kind {staged.kind!r}")
    kind = KINDS[staged.kind]
    tag = uuid.uuid4().hex[:8]
    _configure(conn, ctx)
    try:
        return write_file(Target(conn, None, ctx.settings.lock_timeout_seconds), ctx, kind,
                          _staged_reader(staged, tag), file=staged.file, mapping=None, strict=strict,
                          run_id=uuid.uuid4().hex, started=now(), stages=Stages(staged.file, False),
                          source_label=staged.adapter, extra_columns=staged.extra_columns, notes=staged.notes,
                          digest=lambda: staged.sha256, adapter=staged.adapter, fmt=staged.format,
                          who=who)  # fmt: skip
    finally:
        conn.unregister(f"__pl_staged_{tag}")


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
