"""A quiet day is not an error: a file with a header and no rows (CSV, Parquet; plain and gzip), an empty
JSON Lines file, and an adapter's export without records all load 0 rows, exit 0 and are recorded as a
run whose summary says so (DESIGN §19). A header that lacks a required column is still refused."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from shared_data import shared_file

U_COLUMNS = ["timestamp", "deployment", "user_id", "event_id"]


def _parquet(path: Path, columns: list[str]) -> bytes:
    pq.write_table(pa.table({c: pa.array([], pa.string()) for c in columns}), path)
    return path.read_bytes()


def _files(folder: Path) -> dict[str, bytes]:
    header = (",".join(U_COLUMNS) + "\r\n").encode()
    parquet = _parquet(folder / "schema.parquet", U_COLUMNS)
    return {
        "usage.csv": header,
        "usage-bom.csv": b"\xef\xbb\xbf" + header,
        "usage.csv.gz": gzip.compress(header),
        "usage.jsonl": b"",
        "usage-blank-lines.jsonl": b"\n\n",
        "usage.jsonl.gz": gzip.compress(b""),
        "usage.parquet": parquet,
        "usage.parquet.gz": gzip.compress(parquet),
    }


@pytest.mark.parametrize(
    "name",
    [
        "usage.csv",
        "usage-bom.csv",
        "usage.csv.gz",
        "usage.jsonl",
        "usage-blank-lines.jsonl",
        "usage.jsonl.gz",
        "usage.parquet",
        "usage.parquet.gz",
    ],
)
def test_a_file_without_rows_loads_zero_rows_and_exits_0(workspace, ingest_cli, name: str) -> None:
    path = workspace.write(name, _files(workspace.path)[name])
    plain = ingest_cli("ingest", "usage", str(path))
    assert plain.rc == 0, plain
    first = plain.out.splitlines()[0]
    assert first.startswith(f"{path}: rows=0 loaded=0 duplicates=0 quarantined=0 (")
    assert ("header only, no data rows" in first) == (".csv" in name)
    result = ingest_cli("ingest", "usage", str(path), "--json")
    assert result.rc == 0
    (obj,) = result.objects()
    assert (obj["rows"], obj["loaded"], obj["duplicates"], obj["quarantined"]) == (0, 0, 0, 0)
    assert obj["status"] == "loaded" and obj["message"] is None and obj["notes"]["empty"]
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        runs = conn.execute(
            "SELECT status, rows, json_extract_string(notes, '$.empty') FROM ingest_runs"
        ).fetchall()
        assert len(runs) == 2 and all(r[0] == "loaded" and r[1] == 0 and r[2] for r in runs)
        assert conn.execute("SELECT count(*) FROM usage_events").fetchone() == (0,)


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("cost", "date,deployment,amount,category"),
        ("feedback", "timestamp,deployment,feedback_id,rating"),
        ("incidents", "incident_id,opened_at,deployment,severity"),
        ("changes", "timestamp,deployment,kind,summary"),
    ],
)
def test_every_kind_takes_a_header_only_file(workspace, ingest_cli, kind: str, header: str) -> None:
    path = workspace.write(f"{kind}.csv", header + "\n")
    result = ingest_cli("ingest", kind, str(path), "--json")
    assert result.rc == 0
    (obj,) = result.objects()
    assert (obj["rows"], obj["status"]) == (0, "loaded")


def test_a_header_only_file_still_needs_the_required_columns(workspace, ingest_cli) -> None:
    path = workspace.write("u.csv", "timestamp,deployment\n")
    result = ingest_cli("ingest", "usage", str(path))
    assert result.rc == 1
    assert "required column user_id missing for kind usage" in result.out


def test_a_zero_byte_csv_is_still_refused(workspace, ingest_cli) -> None:
    """Without a header nothing says which file this was meant to be: a broken export, not a quiet day."""
    path = workspace.write("u.csv", "")
    result = ingest_cli("ingest", "usage", str(path))
    assert result.rc == 1
    assert "is empty" in result.out and "still has its header" in result.out


def test_strict_accepts_a_quiet_day(workspace, ingest_cli) -> None:
    path = workspace.write("u.csv", ",".join(U_COLUMNS) + "\n")
    assert ingest_cli("ingest", "usage", str(path), "--strict").rc == 0


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_focus_export_with_a_header_and_no_charges(workspace, ingest_cli, fmt: str) -> None:
    header = shared_file("focus/focus_sample_1.0.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    if fmt == "csv":
        path = workspace.write("focus.csv", header + "\n")
    else:
        path = workspace.path / "focus.parquet"
        _parquet(path, next(csv.reader([header])))
    result = ingest_cli("ingest", "focus", str(path), "--deployment", "support-triage", "--json")
    assert result.rc == 0, result
    (obj,) = result.objects()
    assert (obj["kind"], obj["rows"], obj["status"]) == ("cost", 0, "loaded")


@pytest.mark.parametrize(
    ("adapter", "content"),
    [
        ("otel", ""),
        ("otel", json.dumps({"resourceSpans": []})),
        ("openai-usage", ""),
        ("openai-usage", json.dumps({"object": "page", "data": [], "has_more": False})),
        ("anthropic-costs", ""),
    ],
)
def test_json_exports_without_records(workspace, ingest_cli, adapter: str, content: str) -> None:
    path = workspace.write("export.json", content)
    result = ingest_cli("ingest", adapter, str(path), "--deployment", "support-triage", "--json")
    assert result.rc == 0, result
    objects = result.objects()
    assert objects and all(o["rows"] == 0 and o["status"] == "loaded" for o in objects)
