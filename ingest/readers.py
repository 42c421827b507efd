"""Readers: detect a file's format (extension and magic bytes) and describe it to DuckDB as a relation
of text columns with a line number per row: CSV (any delimiter, BOM, CRLF), JSON Lines, Parquet, each
plain or gzip. Rows the parser cannot read become rejects (line, reason, raw). No validation here.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.sqltext import Binder, quote_ident, run_sql

PEEK = 65536
DELIMITERS = (",", ";", "\t", "|")
MAX_LINE = 16 * 1024 * 1024
NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}


class FileProblem(Exception):
    """A file-level problem: nothing of the file is loaded; the message names what was expected."""


@dataclass
class Source:
    """A file as a relation: `from_sql` exposes `__line` and the columns `exprs` refer to."""

    format: str
    from_sql: str
    header: list[str]  # the file's column names as given
    exprs: list[str]  # VARCHAR SQL expression per header column
    raw_sql: str  # the row's text, for quarantine
    reason_sql: str = "NULL"  # a reader-level reason (invalid JSON line), NULL when fine
    key_sql: str | None = None  # the source record's own identity (adapters' `__key`), else none
    rejects_table: str | None = None  # where DuckDB puts the rows its parser refused
    first_line: int = 1  # line of the first data row
    reject_reason: str | None = None  # one reason for every refused row (else from the parser's error)
    numbered: bool = True  # from_sql has __row and __line; else rows are numbered by insertion order
    empty_note: str = "no rows"  # the run's note when the file is valid and holds no row (a quiet day)
    columns_known: bool = True  # false for an empty JSON Lines file: no line names a column to check
    unreadable_message: str = "no row could be read"
    temp_files: list[Path] = field(default_factory=list)

    def cleanup(self) -> None:
        for path in self.temp_files:
            path.unlink(missing_ok=True)


def _peek(path: Path) -> tuple[bytes, bool]:
    """The first bytes of the content (decompressed when gzip) and whether the file is gzip."""
    with path.open("rb") as fh:
        head = fh.read(PEEK)
    if head[:2] != b"\x1f\x8b":
        return head, False
    try:
        with gzip.open(path, "rb") as gz:
            return gz.read(PEEK), True
    except (OSError, EOFError, zlib.error) as exc:
        raise FileProblem(f"truncated or corrupt gzip file ({exc})") from exc


def detect(path: Path, *, blank_ok: bool = False) -> tuple[str, bool, bytes]:
    """(format, gzip, first bytes): format is csv, jsonl or parquet; magic bytes win over the extension.
    A blank file is JSON Lines when named so or when `blank_ok` (a JSON export that had nothing to say)."""
    if path.is_dir():
        raise FileProblem("is a directory, not a file")
    if not path.exists():
        raise FileProblem("file not found")
    try:
        head, gz = _peek(path)
    except PermissionError as exc:
        raise FileProblem(f"cannot be read: {exc.strerror}") from exc
    suffixes = [s.lower() for s in path.suffixes]
    if head[:4] == b"PAR1":
        return "parquet", gz, head
    if ".parquet" in suffixes or ".pq" in suffixes:
        raise FileProblem("has a .parquet name but is not a Parquet file (no PAR1 magic bytes)")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped and (blank_ok or ".jsonl" in suffixes or ".ndjson" in suffixes):
        return "jsonl", gz, head  # JSON Lines has no header: an empty file is a day without rows
    if not stripped:
        raise FileProblem(
            "is empty (expected a header line or JSON lines; a CSV export without rows still has its header)"
        )
    if b"\x00" in head or _binary_share(head) > 0.1:
        raise FileProblem(
            "is not a text file (binary content); expected CSV, JSON Lines or Parquet, optionally gzip-compressed"
        )
    if stripped[:1] == b"{" or (".jsonl" in suffixes or ".ndjson" in suffixes):
        return "jsonl", gz, head
    if stripped[:1] == b"[":
        raise FileProblem("is a JSON array; expected JSON Lines (one JSON object per line) or CSV")
    return "csv", gz, head


def _binary_share(data: bytes) -> float:
    sample = data[:8192]
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the end of the sample
            control += len(sample) // 20
    return control / max(len(sample), 1)


def read(conn: duckdb.DuckDBPyConnection, path: Path, binder: Binder, tag: str) -> Source:
    """Describe `path` as a Source; `tag` keeps temp table names of concurrent reads apart."""
    fmt, gz, head = detect(path)
    if fmt == "parquet":
        return _parquet(conn, path, gz, binder)
    if fmt == "jsonl":
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n"):
            return _empty_jsonl(gz)
        return _jsonl(conn, path, gz, binder, tag)
    return _csv(conn, path, gz, head, binder, tag)


def _header(head: bytes) -> tuple[list[str], str]:
    first_bytes = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")
    try:
        first = first_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem(f"the header line is not UTF-8 text (byte {exc.start + 1})") from exc
    if not first.strip():
        raise FileProblem("the first line is empty (expected a header line with column names)")
    counts = {d: _count_outside_quotes(first, d) for d in DELIMITERS}
    delim = max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
    names = next(csv.reader(io.StringIO(first), delimiter=delim))
    return names, delim


def _escape(head: bytes, delim: str) -> str:
    """`\\` when quotes inside values are written \\" (and never doubled ""), else `"` (RFC 4180)."""
    if b'\\"' not in head:
        return '"'
    d = re.escape(delim.encode())
    doubled = re.search(rb"[^" + d + rb'\\\r\n]""|""[^' + d + rb"\r\n]", head)
    return '"' if doubled else "\\"


def _count_outside_quotes(line: str, delim: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delim and not quoted:
            count += 1
    return count


def _csv_call(path: Path, gz: bool, delim: str, escape: str, n: int, binder: Binder, rejects: str) -> str:
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    return (
        f"read_csv({binder(str(path))}, header = true, auto_detect = false, delim = {binder(delim)}, "
        f"quote = '\"', escape = {binder(escape)}, columns = {columns}, max_line_size = {MAX_LINE}, "
        f"compression = {binder('gzip' if gz else 'none')}, store_rejects = true, "
        f"rejects_table = {binder(rejects)}, rejects_scan = {binder(rejects + '_scan')})"
    )


def _reject_reason(error_type: str, message: str, raw: str) -> str:
    if error_type in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        return f"cannot be read as CSV: {message.strip()}".replace(
            "Expected Number of Columns", "expected fields"
        )
    if error_type == "INVALID ENCODING":
        return "is not valid UTF-8 text"
    if error_type == "UNQUOTED VALUE":
        extra = raw.count("\n")
        tail = f" (it runs over {extra + 1} lines to the end of the file)" if extra else ""
        return f"has a quote that is not closed or a stray quote inside a value{tail}"
    if error_type == "LINE SIZE OVER MAXIMUM":
        return f"is longer than {MAX_LINE // (1024 * 1024)} MB"
    return f"cannot be read as CSV: {message.strip()}"


def collect_rejects(conn: duckdb.DuckDBPyConnection, source: Source) -> list[tuple[int, str, str]]:
    """Rows the parser refused during the validation pass: (line, reason, raw), one per line, in order."""
    if not source.rejects_table:
        return []
    rows = run_sql(
        conn,
        f"SELECT line, list(DISTINCT error_type::VARCHAR), any_value(error_message), any_value(csv_line) "
        f"FROM temp.{quote_ident(source.rejects_table)} GROUP BY line ORDER BY line",
    )
    _drop(conn, source.rejects_table, source.rejects_table + "_scan")
    out = []
    for line, types, message, raw in rows:
        raw = (raw or "").strip("\r\n")
        reason = source.reject_reason or "; ".join(
            _reject_reason(t, message or "", raw) for t in sorted(types)
        )
        out.append((int(line), reason, raw[:4000]))
    return out


def _drop(conn: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        run_sql(conn, f"DROP TABLE IF EXISTS temp.{quote_ident(name)}")


def _numbered(call: str, first: int) -> str:
    """`call` with `__row` (0-based index of the rows the parser kept) and `__line` (exact until a
    row is refused; `renumber` fixes it then)."""
    return f"(SELECT *, __row + {int(first)} AS __line FROM (SELECT row_number() OVER () - 1 AS __row, * FROM {call}))"


def _csv(
    conn: duckdb.DuckDBPyConnection, path: Path, gz: bool, head: bytes, binder: Binder, tag: str
) -> Source:
    names, delim = _header(head)
    rejects_table = f"__pl_rejects_{tag}"
    _drop(conn, rejects_table, rejects_table + "_scan")
    call = _csv_call(path, gz, delim, _escape(head, delim), len(names), binder, rejects_table)
    exprs = [f"c{i}" for i in range(len(names))]
    raw = f"concat_ws({binder(delim)}, " + ", ".join(f"coalesce(c{i}, '')" for i in range(len(names))) + ")"
    return Source(
        "csv.gz" if gz else "csv", f"(SELECT * FROM {call})", names, exprs, raw,
        rejects_table=rejects_table, first_line=2, numbered=False,
        empty_note=f"header only, no data rows; columns {', '.join(names)}",
        unreadable_message=f"no row could be read as CSV with the {NAMES[delim]} delimiter of the header "
        f"({len(names)} columns)",
    )  # fmt: skip


def _jsonl(conn: duckdb.DuckDBPyConnection, path: Path, gz: bool, binder: Binder, tag: str) -> Source:
    rejects_table = f"__pl_rejects_{tag}"

    def lines(b: Binder, rejects: bool) -> str:
        errors = (
            f"store_rejects = true, rejects_table = {b(rejects_table)}, rejects_scan = {b(rejects_table + '_scan')}"
            if rejects
            else "ignore_errors = true"
        )
        return (
            f"read_csv({b(str(path))}, header = false, auto_detect = false, delim = {b(chr(1))}, "
            f"quote = '', escape = '', columns = {{'j': 'VARCHAR'}}, max_line_size = {MAX_LINE}, "
            f"compression = {b('gzip' if gz else 'none')}, {errors})"
        )

    ok = "(json_valid(j) AND starts_with(ltrim(j), '{'))"
    _drop(conn, rejects_table, rejects_table + "_scan")
    probe = Binder()
    call = lines(probe, False)
    try:
        keys = run_sql(
            conn,
            f"SELECT DISTINCT unnest(json_keys(j)) AS k FROM {call} WHERE {ok} ORDER BY k",
            probe.used(call),
        )
    except duckdb.IOException as exc:
        raise FileProblem(f"truncated or corrupt file ({str(exc).splitlines()[0]})") from exc
    except duckdb.Error as exc:
        raise FileProblem(f"cannot be read as JSON Lines: {str(exc).splitlines()[0]}") from exc
    names = [k for (k,) in keys]
    if not names:
        raise FileProblem(
            "has no line that is a valid JSON object with fields (expected one JSON object per line)"
        )
    numbered = _numbered(lines(binder, True), 1)
    paths = "[" + ", ".join(binder("$." + _json_key(k)) for k in names) + "]"
    vals = f"CASE WHEN {ok} THEN json_extract_string(j, {paths}) END AS __vals"
    from_sql = f"(SELECT __row, __line, j, {vals} FROM {numbered} WHERE nullif(trim(j), '') IS NOT NULL)"
    exprs = [f"__vals[{i + 1}]" for i in range(len(names))]
    reason = (
        f"CASE WHEN NOT json_valid(j) THEN {binder('is not valid JSON')} "
        f"WHEN NOT starts_with(ltrim(j), '{{') THEN {binder('is not a JSON object')} END"
    )
    # a line the splitter refused holds a raw control character or invalid UTF-8: it is not valid JSON
    return Source(
        "jsonl.gz" if gz else "jsonl", from_sql, names, exprs, "j", reason_sql=reason,
        rejects_table=rejects_table, first_line=1, reject_reason="is not valid JSON",
        empty_note="no JSON lines", unreadable_message="no line could be read as JSON",
    )  # fmt: skip


def _empty_jsonl(gz: bool) -> Source:
    """An empty JSON Lines file (nothing but blank lines): valid, no rows, no columns to check."""
    nothing = "(SELECT 0::BIGINT AS __row, 1::BIGINT AS __line, NULL::VARCHAR AS j WHERE false)"
    return Source("jsonl.gz" if gz else "jsonl", nothing, [], [], "j", empty_note="empty: no JSON lines",
                  columns_known=False)  # fmt: skip


def _json_key(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _parquet(conn: duckdb.DuckDBPyConnection, path: Path, gz: bool, binder: Binder) -> Source:
    temp: list[Path] = []
    target = path
    if gz:
        fd, name = tempfile.mkstemp(suffix=".parquet", prefix="postlaunch-")
        target = Path(name)
        temp.append(target)
        try:
            with gzip.open(path, "rb") as src, open(fd, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except (OSError, EOFError, zlib.error) as exc:
            target.unlink(missing_ok=True)
            raise FileProblem(f"truncated or corrupt gzip file ({exc})") from exc
    call = f"read_parquet({binder(str(target))}, file_row_number = true)"
    try:
        described = conn.execute(f"DESCRIBE SELECT * FROM {call}", binder.used(call)).fetchall()
    except duckdb.Error as exc:
        for t in temp:
            t.unlink(missing_ok=True)
        raise FileProblem(f"cannot be read as Parquet: {str(exc).splitlines()[0]}") from exc
    names = [row[0] for row in described if row[0] != "file_row_number"]
    exprs = [f"CAST({quote_ident(n)} AS VARCHAR)" for n in names]
    raw = "json_object(" + ", ".join(f"{binder(n)}, {e}" for n, e in zip(names, exprs, strict=True)) + ")"
    from_sql = f"(SELECT *, file_row_number AS __row, file_row_number + 1 AS __line FROM {call})"
    if not names:
        raise FileProblem("has no columns")
    return Source("parquet.gz" if gz else "parquet", from_sql, names, exprs, raw, temp_files=temp,
                  empty_note="no rows (the Parquet file has its columns only)")  # fmt: skip
