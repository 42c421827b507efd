"""Ingest run records and their helpers: the per-file result, the run row in `ingest_runs` (who, host,
sha256, counts, times in UTC), failed runs in their own short transaction, and stage messages.
It writes only `ingest_runs`; it never reads a data file except to hash it.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ingest.sqltext import run_sql
from postlaunch import db
from postlaunch.config import Context
from postlaunch.errors import PostlaunchError


@dataclass
class FileResult:
    file: str
    kind: str
    rows: int
    loaded: int
    duplicates: int
    quarantined: int
    status: str  # loaded | failed
    message: str | None
    extra_columns: list[str]
    reasons: list[str]
    run_id: str
    notes: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "rows": self.rows,
            "loaded": self.loaded,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "status": self.status,
            "message": self.message,
            "extra_columns": self.extra_columns,
            "run_id": self.run_id,
            "reasons": self.reasons,
            "notes": self.notes,
        }


class Stages:
    """Stage messages with elapsed time on a terminal (stderr); silent otherwise."""

    def __init__(self, file: str, enabled: bool) -> None:
        self.file, self.enabled, self.start = file, enabled and sys.stderr.isatty(), time.monotonic()

    def __call__(self, stage: str) -> None:
        if self.enabled:
            print(
                f"\r{self.file}: {stage} ({time.monotonic() - self.start:.1f} s)\x1b[K",
                end="",
                file=sys.stderr,
            )

    def done(self) -> None:
        if self.enabled:
            print("\r\x1b[K", end="", file=sys.stderr, flush=True)


class Sha256(threading.Thread):
    """The file's sha256, computed beside DuckDB's work (hashlib releases the GIL)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.value: str | None = None
        self.start()

    def run(self) -> None:
        try:
            digest = hashlib.sha256()
            with self.path.open("rb") as fh:
                while chunk := fh.read(1 << 22):
                    digest.update(chunk)
            self.value = digest.hexdigest()
        except OSError:
            self.value = None

    def result(self) -> str | None:
        self.join()
        return self.value


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _who() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        user = "unknown"
    return user, socket.gethostname()


def record_run(conn: duckdb.DuckDBPyConnection, r: FileResult, *, sha256: str | None, adapter: str | None,
                fmt: str | None, started: datetime, who: str | None = None) -> None:  # fmt: skip
    """The run row; `who` is the person loading (the dashboard's signed-in uploader), else the OS user."""
    user, host = _who()
    user = who or user
    run_sql(conn,
        "INSERT INTO ingest_runs (run_id, file, sha256, kind, adapter, format, rows, loaded, duplicates, quarantined, "
        "status, message, extra_columns, notes, started_at, finished_at, who, host) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [r.run_id, r.file, sha256, r.kind, adapter, fmt, r.rows, r.loaded, r.duplicates, r.quarantined, r.status,
         r.message, r.extra_columns, _json(r.notes), started, now(), user, host],
    )  # fmt: skip


def _json(notes: dict[str, Any]) -> str:
    return json.dumps(notes, sort_keys=True, default=str)


def failed(ctx: Context, kind: str, file: str, message: str, *, run_id: str, started: datetime,
            sha256: str | None = None, adapter: str | None = None, fmt: str | None = None,
            extra: list[str] | None = None) -> FileResult:  # fmt: skip
    """A file that loaded nothing: record the failed run in its own short transaction."""
    result = FileResult(file, kind, 0, 0, 0, 0, "failed", message, extra or [], [], run_id)
    try:
        with db.connect(ctx.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
            run_sql(conn, "BEGIN TRANSACTION")
            record_run(conn, result, sha256=sha256, adapter=adapter, fmt=fmt, started=started, who=ctx.actor)
            run_sql(conn, "COMMIT")
    except PostlaunchError as exc:
        result.message = f"{message} (and the failed run could not be recorded: {exc})"
    return result
