"""What every adapter shares: reading JSON documents and JSON Lines (plain or gzip), the file's
sha256, plain-decimal and ISO-time text, the `--deployment` check and the staged Arrow table.

Adapters only convert: they never open the database and never decide what loads (the engine does).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.readers import FileProblem
from ingest.staged import Staged
from postlaunch.config import Context
from postlaunch.errors import PostlaunchError

# notes keys listing the vendor scope ids no deployment claims -> their label in the summary line
UNATTRIBUTED_ID_NOTES = (
    ("unattributed_project_ids", "project_id"),
    ("unattributed_workspace_ids", "workspace_id"),
)
RAW_LIMIT = 2000  # characters of the source record kept with a row (quarantine shows it)


class AdapterError(FileProblem, PostlaunchError):
    """A file-level refusal by an adapter: the file loads nothing (the engine records a failed run with
    this message beside the file's name); the message names the place and the value."""


@dataclass
class Converted:
    """One kind's rows from one file, before the engine validates them (see `ingest.staged.Staged`)."""

    kind: str
    format: str
    table: pa.Table
    notes: dict[str, Any] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)


def file_format(path: Path, default: str) -> tuple[str, bool]:
    """(`csv` | `json` | `jsonl` | `parquet`, gzipped?) from the file name; `default` when it says nothing."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] in (".gz", ".gzip")
    if gz:
        suffixes = suffixes[:-1]
    ext = suffixes[-1].lstrip(".") if suffixes else ""
    known = {"csv": "csv", "tsv": "csv", "txt": "csv", "json": "json", "jsonl": "jsonl", "ndjson": "jsonl"}
    if ext in ("parquet", "pq"):
        return "parquet", gz
    return known.get(ext, default), gz


def read_text(path: Path) -> str:
    """The file as text (UTF-8, BOM dropped, gzip opened); unreadable files are refused with the reason."""
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return data.decode("utf-8-sig")
    except FileNotFoundError:
        raise AdapterError("file not found") from None
    except (OSError, EOFError) as exc:
        raise AdapterError(f"cannot read the file: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise AdapterError(f"not UTF-8 text (byte {exc.start}): expected a JSON export") from exc


def read_json_documents(path: Path) -> tuple[str, list[tuple[int, Any]]]:
    """The JSON values in a file: one document (a list is split into its items) or JSON Lines.

    Returns the format (`json` or `jsonl`) and (line, value) pairs; a broken line is refused by number.
    """
    text = read_text(path)
    if not text.strip():
        return "json", []
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as whole_error:
        docs: list[tuple[int, Any]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                docs.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                if number == 1 and not docs:
                    raise AdapterError(
                        f"not valid JSON or JSON Lines: line {whole_error.lineno} column "
                        f"{whole_error.colno}: {whole_error.msg}"
                    ) from exc
                raise AdapterError(f"line {number}: not valid JSON: {exc.msg}") from exc
        return "jsonl", docs
    if isinstance(doc, list):
        return "json", [(1, item) for item in doc]
    return "json", [(1, doc)]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def short_raw(value: Any, limit: int = RAW_LIMIT) -> str:
    """Compact JSON of a source record, cut to `limit` characters (marked with an ellipsis)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_decimal(value: Any) -> str | None:
    """A number as plain decimal text (`1e-05` -> `0.00001`); None stays None; other text is kept
    as it is, so that the engine names it in its quarantine reason."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, int):
        return str(value)
    text = str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    out = format(number, "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out or "0"


def iso_from_epoch_ns(nanos: int) -> str:
    """UTC ISO 8601 text with microseconds from Unix epoch nanoseconds."""
    seconds, rest = divmod(nanos, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)
    return stamp.isoformat()


def iso_from_epoch_seconds(seconds: int | float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def checked_deployment(ctx: Context, options: dict[str, Any]) -> str | None:
    """`--deployment` when given, after checking that the registry knows it (else a ConfigError)."""
    name = options.get("deployment")
    if not name:
        return None
    ctx.registry.get(str(name))
    return str(name)


def build_table(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> pa.Table:
    """The staged table: `columns` as text, then `__line` (int64), `__raw` and `__reason` (text)."""
    rows = list(rows)
    arrays: dict[str, pa.Array] = {}
    for name in columns:
        arrays[name] = pa.array([_text(row.get(name)) for row in rows], type=pa.string())
    arrays["__line"] = pa.array([row["__line"] for row in rows], type=pa.int64())
    arrays["__raw"] = pa.array([row.get("__raw") for row in rows], type=pa.string())
    arrays["__reason"] = pa.array([row.get("__reason") for row in rows], type=pa.string())
    return pa.table(arrays)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return plain_decimal(value)
    return str(value)


def to_staged(path: Path, adapter: str, converted: list[Converted]) -> list[Staged]:
    """Wrap conversions into `ingest.staged.Staged` for the engine (one per kind, same sha256)."""
    digest = sha256_file(path)
    return [
        Staged(
            kind=item.kind,
            file=str(path),
            sha256=digest,
            adapter=adapter,
            format=item.format,
            table=item.table,
            extra_columns=item.extra_columns,
            notes=item.notes,
        )
        for item in converted
    ]


def notes_line(notes: dict[str, Any]) -> str:
    """The adapter notes worth a glance, as `key=value` words for a run's summary line
    (`unattributed=977 (amount 20.52 USD) skipped_spans=1 (workflow=1)`,
    `unattributed=3 (amount 1.50 USD, project_id proj_b=2 <none>=1)`); '' when there are none."""
    words: list[str] = []
    if "unattributed_rows" in notes:
        details: list[str] = []
        if "unattributed_amount" in notes:
            amount = (
                f"{float(notes['unattributed_amount'] or 0):,.2f} {notes.get('unattributed_currency', '')}"
            )
            details.append(f"amount {amount.strip()}")
        if notes.get("unattributed_unpriced_rows"):
            details.append(f"{notes['unattributed_unpriced_rows']} rows without amount or rate")
        for key, label in UNATTRIBUTED_ID_NOTES:
            if notes.get(key):
                details.append(label + " " + " ".join(f"{k}={v}" for k, v in notes[key].items()))
        words.append(
            f"unattributed={notes['unattributed_rows']}" + (f" ({', '.join(details)})" if details else "")
        )
    if notes.get("skipped_spans"):
        kinds = notes.get("skipped_span_kinds") or {}
        detail = " (" + ", ".join(f"{k}={v}" for k, v in kinds.items()) + ")" if kinds else ""
        words.append(f"skipped_spans={notes['skipped_spans']}{detail}")
    for key in (
        "skipped_results",
        "unknown_users",
        "users_from_conversation",
        "scores_without_rating",
        "requests_unknown",
    ):
        if notes.get(key):
            words.append(f"{key}={notes[key]}")
    if notes.get("date_order"):
        words.append(f"date_order={notes['date_order']}")
    return " ".join(words)
