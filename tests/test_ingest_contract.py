"""The ingest guarantees of DESIGN §4 on good data: counts add up, idempotence across formats and CSV
dialects, timestamps to UTC, incidents updated with history, mapping, --strict, --json, run records."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from ingest.engine import ingest_paths, load_staged
from ingest.mapping import Mapping
from ingest.staged import Staged
from postlaunch import db

U = "timestamp,deployment,user_id,event_id,outcome,input_tokens,latency_ms,request_text"
ROWS = [
    "2026-11-02T10:00:00Z,support-triage,u1,e-1,ok,120,250.5,Classify ticket 4521 about login",
    "2026-11-02T10:05:00Z,support-triage,u2,e-2,ERROR,80,1000,Route this to billing please",
    "2026-11-02T11:00:00Z,hr-assistant,u3,,Escalated,,,What is the parental leave policy?",
]
USAGE_CSV = U + "\n" + "\n".join(ROWS) + "\n"


def q(workspace, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def counts(obj: dict) -> tuple[int, int, int, int]:
    assert obj["rows"] == obj["loaded"] + obj["duplicates"] + obj["quarantined"]
    return obj["rows"], obj["loaded"], obj["duplicates"], obj["quarantined"]


def test_load_then_reload_adds_nothing(workspace, ingest_cli) -> None:
    path = workspace.write("usage.csv", USAGE_CSV)
    first = ingest_cli("ingest", "usage", str(path))
    assert first.rc == 0
    assert first.out.splitlines()[0] == f"{path}: rows=3 loaded=3 duplicates=0 quarantined=0"
    second = ingest_cli("ingest", "usage", str(path), "--json")
    (obj,) = second.objects()
    assert counts(obj) == (3, 0, 3, 0)
    assert q(workspace, "SELECT count(*) FROM usage_events") == [(3,)]
    stored = q(
        workspace,
        "SELECT event_id, outcome, input_tokens, latency_ms, requests, line FROM usage_events ORDER BY line",
    )
    assert stored == [
        ("e-1", "ok", 120, 250.5, 1, 2),
        ("e-2", "error", 80, 1000.0, 1, 3),
        (None, "escalated", None, None, 1, 4),
    ]


def _write_formats(workspace) -> dict[str, str]:
    csv_path = workspace.write("usage.csv", USAGE_CSV)
    out = {"csv": str(csv_path)}
    with duckdb.connect() as conn:
        conn.execute(
            "CREATE TABLE t AS SELECT timestamp::TIMESTAMP AS timestamp, deployment, user_id, event_id, outcome, "
            "input_tokens::BIGINT AS input_tokens, latency_ms::DOUBLE AS latency_ms, request_text "
            "FROM read_csv(?, all_varchar = true)",
            [str(csv_path)],
        )
        out["parquet"] = str(workspace.path / "usage.parquet")
        conn.execute(f"COPY t TO '{out['parquet']}' (FORMAT parquet)")
        out["jsonl"] = str(workspace.path / "usage.jsonl")
        conn.execute(f"COPY t TO '{out['jsonl']}' (FORMAT json)")
    return out


def test_same_rows_as_csv_jsonl_parquet_have_one_identity(workspace, ingest_cli) -> None:
    paths = _write_formats(workspace)
    result = ingest_cli("ingest", "usage", paths["csv"], paths["jsonl"], paths["parquet"], "--json")
    assert result.rc == 0
    csv_obj, jsonl_obj, parquet_obj = result.objects()
    assert counts(csv_obj) == (3, 3, 0, 0)
    assert counts(jsonl_obj) == (3, 0, 3, 0)
    assert counts(parquet_obj) == (3, 0, 3, 0)
    assert q(workspace, "SELECT DISTINCT format FROM ingest_runs ORDER BY 1") == [
        ("csv",),
        ("jsonl",),
        ("parquet",),
    ]


@pytest.mark.parametrize(
    ("name", "transform"),
    [
        ("semicolon.csv", lambda t: t.replace(",", ";").encode()),
        ("tab.tsv", lambda t: t.replace(",", "\t").encode()),
        ("pipe.txt", lambda t: t.replace(",", "|").encode()),
        ("bom.csv", lambda t: b"\xef\xbb\xbf" + t.encode()),
        ("crlf.csv", lambda t: t.replace("\n", "\r\n").encode()),
        (
            "bom-crlf-semicolon.csv",
            lambda t: b"\xef\xbb\xbf" + t.replace(",", ";").replace("\n", "\r\n").encode(),
        ),
        ("packed.csv.gz", lambda t: gzip.compress(t.encode())),
        ("packed-no-suffix.data", lambda t: gzip.compress(t.encode())),
    ],
)
def test_csv_dialects_load_identically(workspace, ingest_cli, name, transform) -> None:
    text = USAGE_CSV + "2026-11-02T12:00:00Z,support-triage,u4,e-4,maybe,1,1,bad outcome\n"
    plain = workspace.write("plain.csv", text)
    variant = workspace.write(name, transform(text))
    result = ingest_cli("ingest", "usage", str(plain), str(variant), "--json")
    assert result.rc == 0, result
    first, second = result.objects()
    assert counts(first) == (4, 3, 0, 1)
    assert counts(second) == (4, 0, 3, 1)
    assert second["reasons"] == ['line 5: outcome "maybe" is not one of ok, error, refused, escalated']
    assert first["reasons"] == second["reasons"]


TS_CASES = [
    ("UTC", "2026-11-02T10:15:30Z", datetime(2026, 11, 2, 10, 15, 30)),
    ("UTC", "2026-11-02 10:15:30+02:00", datetime(2026, 11, 2, 8, 15, 30)),
    ("UTC", "2026-11-02T10:15:30.123-05:00", datetime(2026, 11, 2, 15, 15, 30, 123000)),
    ("UTC", "2026-11-02 10:15", datetime(2026, 11, 2, 10, 15)),
    ("UTC", "1762078530", datetime(2025, 11, 2, 10, 15, 30)),
    ("UTC", "1762078530123", datetime(2025, 11, 2, 10, 15, 30, 123000)),
    ("UTC", "1762078530.5", datetime(2025, 11, 2, 10, 15, 30, 500000)),
    ("Europe/Berlin", "2026-11-02 10:15:30", datetime(2026, 11, 2, 9, 15, 30)),  # CET, UTC+1
    ("Europe/Berlin", "2026-07-01T12:00:00", datetime(2026, 7, 1, 10, 0)),  # CEST, UTC+2
    ("Europe/Berlin", "2026-11-02", datetime(2026, 11, 1, 23, 0)),
    ("Europe/Berlin", "2026-11-02T10:15:30Z", datetime(2026, 11, 2, 10, 15, 30)),  # a zone given wins
    ("Europe/Berlin", "1762078530", datetime(2025, 11, 2, 10, 15, 30)),  # epoch is UTC by definition
    ("America/New_York", "2026-11-02 10:15:30", datetime(2026, 11, 2, 15, 15, 30)),  # EST, UTC-5
]


@pytest.mark.parametrize(("tz", "raw", "expected"), TS_CASES)
def test_timestamps_are_stored_as_utc(workspace, ingest_cli, tz, raw, expected) -> None:
    workspace.settings(f'timezone = "{tz}"')
    path = workspace.write("u.csv", f"timestamp,deployment,user_id\n{raw},support-triage,u1\n")
    result = ingest_cli("ingest", "usage", str(path), "--json")
    assert counts(result.objects()[0]) == (1, 1, 0, 0), result
    assert q(workspace, "SELECT ts FROM usage_events") == [(expected,)]
    # the run record's clock is UTC whatever the configured zone
    (started,) = q(workspace, "SELECT started_at FROM ingest_runs")[0]
    assert abs((datetime.utcnow() - started).total_seconds()) < 120


def test_values_are_normalized(workspace, ingest_cli) -> None:
    path = workspace.write(
        "f.csv",
        "Timestamp , DEPLOYMENT,feedback_id,Rating,thumbs,accepted,source\n"
        "2026-11-02,support-triage,f1,5,UP,Yes,Reviewer\n"
        "2026-11-02,support-triage,f2,1.0,down,0,user\n"
        "2026-11-02,support-triage,f3,,, TRUE ,\n"
        "2026-11-02,support-triage,f4,3,,no,\n",
    )
    result = ingest_cli("ingest", "feedback", str(path), "--json")
    assert counts(result.objects()[0]) == (4, 4, 0, 0)
    assert q(workspace, "SELECT feedback_id, rating, thumbs, accepted, source FROM feedback ORDER BY 1") == [
        ("f1", 5, "up", True, "reviewer"),
        ("f2", 1, "down", False, "user"),
        ("f3", None, None, True, None),
        ("f4", 3, None, False, None),
    ]


def test_cost_dates_periods_currencies_and_credits(workspace, ingest_cli) -> None:
    workspace.settings('currency = "USD"\n[currency_rates]\nEUR = 1.25')
    path = workspace.write(
        "cost.csv",
        "date,period_start,period_end,deployment,amount,currency,category,description\n"
        "2026-11-02,,,support-triage,100,,,\n"
        ",2026-10-01,2026-10-31,support-triage,1000,eur,subscription,seats\n"
        "2026-11-03,,,hr-assistant,-20,USD,other,credit\n"
        "2026-11-04,,,hr-assistant,5,GBP,,\n",
    )
    result = ingest_cli("ingest", "cost", str(path), "--json")
    (obj,) = result.objects()
    assert counts(obj) == (4, 3, 0, 1)
    assert obj["reasons"] == [
        'line 5: currency "GBP" has no rate to USD (set currency_rates.GBP in the config)'
    ]
    rows = q(workspace, "SELECT period_start::VARCHAR, period_end::VARCHAR, amount, currency, amount_reporting, category, "
                        "source FROM cost_records ORDER BY line")  # fmt: skip
    assert rows == [
        ("2026-11-02", "2026-11-02", 100.0, "USD", 100.0, "usage", "cost"),
        ("2026-10-01", "2026-10-31", 1000.0, "EUR", 1250.0, "subscription", "cost"),
        ("2026-11-03", "2026-11-03", -20.0, "USD", -20.0, "other", "cost"),
    ]


def test_map_and_map_file(workspace, ingest_cli) -> None:
    path = workspace.write(
        "export.csv",
        "ID,Opened,Sev,Title,Team\nINC-1,2026-11-02T09:00:00Z,Sev1,Outage,ops\nINC-2,2026-11-03,Sev3,Slow,ops\n",
    )
    mapping = workspace.write(
        "mapping.toml",
        '[columns]\nID = "incident_id"\nOpened = "opened_at"\n\n[values.severity]\nSev1 = "critical"\nSev3 = "medium"\n'
        '\n[defaults]\ndeployment = "support-triage"\n',
    )
    result = ingest_cli(
        "ingest", "incidents", str(path), "--map-file", str(mapping), "--map", "sev=severity", "--json"
    )
    (obj,) = result.objects()
    assert counts(obj) == (2, 2, 0, 0)
    assert obj["extra_columns"] == ["Team"]
    assert q(workspace, "SELECT incident_id, severity, deployment, title FROM incidents ORDER BY 1") == [
        ("INC-1", "critical", "support-triage", "Outage"),
        ("INC-2", "medium", "support-triage", "Slow"),
    ]


def test_strict_loads_a_clean_file(workspace, ingest_cli) -> None:
    path = workspace.write("usage.csv", USAGE_CSV)
    result = ingest_cli("ingest", "usage", str(path), "--strict", "--json")
    assert result.rc == 0 and counts(result.objects()[0]) == (3, 3, 0, 0)


def test_json_shape_and_run_record(workspace, ingest_cli) -> None:
    path = workspace.write("usage.csv", U + ",note\n" + "\n".join(row + ",x" for row in ROWS) + "\n")
    result = ingest_cli("ingest", "usage", str(path), "--json")
    (obj,) = result.objects()
    assert set(obj) >= {"file", "kind", "rows", "loaded", "duplicates", "quarantined", "status", "message",
                        "extra_columns", "run_id", "reasons"}  # fmt: skip
    assert (obj["file"], obj["kind"], obj["status"], obj["message"]) == (str(path), "usage", "loaded", None)
    assert obj["extra_columns"] == ["note"] and counts(obj) == (3, 3, 0, 0)
    run = q(workspace, "SELECT file, sha256, kind, format, rows, loaded, status, who, host, finished_at >= started_at "
                       "FROM ingest_runs WHERE run_id = ?", [obj["run_id"]])  # fmt: skip
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert run[0][:7] == (str(path), sha, "usage", "csv", obj["rows"], obj["loaded"], "loaded")
    assert run[0][7] and run[0][8] and run[0][9] is True
    assert json.loads(result.out.splitlines()[0]) == obj


def test_extra_columns_are_named_in_the_summary(workspace, ingest_cli) -> None:
    path = workspace.write(
        "u.csv", "timestamp,deployment,user_id,browser,Region\n2026-11-02,support-triage,u1,ff,eu\n"
    )
    result = ingest_cli("ingest", "usage", str(path))
    assert "extra columns (kept nowhere): browser, Region" in result.out


def test_summary_lists_first_reasons_and_how_many_more(workspace, ingest_cli) -> None:
    bad = "\n".join(f"2026-11-02,support-triage,u{i},maybe" for i in range(8))
    path = workspace.write("u.csv", f"timestamp,deployment,user_id,outcome\n{bad}\n")
    out = ingest_cli("ingest", "usage", str(path)).out
    assert "line 2: outcome" in out and "line 6: outcome" in out and "line 7: outcome" not in out
    assert "... and 3 more; every quarantined row: postlaunch quarantine --run " in out


def test_registry_state_recorded_once_per_command(workspace, ingest_cli) -> None:
    path = workspace.write("usage.csv", USAGE_CSV)
    ingest_cli("ingest", "usage", str(path))
    ingest_cli("ingest", "usage", str(path))
    assert q(workspace, "SELECT count(*) FROM registry_state") == [(1,)]


def _staged(rows: list[dict], reason: list[str | None] | None = None) -> Staged:
    table = pa.table({
        "timestamp": [r["timestamp"] for r in rows],
        "deployment": [r["deployment"] for r in rows],
        "user_id": [r["user_id"] for r in rows],
        "__line": pa.array(range(1, len(rows) + 1), pa.int64()),
        "__raw": [json.dumps(r) for r in rows],
        "__reason": reason or [None] * len(rows),
    })  # fmt: skip
    return Staged("usage", "spans.json", "0" * 64, "otel", "json", table, ["resource"], {"spans": len(rows)})


def test_load_staged_validates_like_a_file(workspace) -> None:
    ctx = workspace.ctx()
    rows = [
        {"timestamp": "2026-11-02T10:00:00Z", "deployment": "support-triage", "user_id": "u1"},
        {"timestamp": "2026-11-02T10:00:00Z", "deployment": "nowhere", "user_id": "u1"},
        {"timestamp": "2026-11-02T10:00:00Z", "deployment": "support-triage", "user_id": "u9"},
    ]
    with db.connect(ctx.db) as conn:
        r = load_staged(conn, ctx, _staged(rows, [None, None, "span has no service.name"]))
    assert (r.rows, r.loaded, r.duplicates, r.quarantined) == (3, 1, 0, 2)
    assert r.reasons == ['line 2: deployment "nowhere" is not in the registry (known: hr-assistant, support-triage)',
                         "line 3: span has no service.name"]  # fmt: skip
    assert r.extra_columns == ["resource"] and r.notes == {"spans": 3}
    with db.connect(ctx.db) as conn:
        again = load_staged(conn, ctx, _staged(rows[:1]))
        assert conn.execute(
            "SELECT adapter, format FROM ingest_runs WHERE run_id = ?", [again.run_id]
        ).fetchall() == [("otel", "json")]
    assert (again.loaded, again.duplicates) == (0, 1)


def test_ingest_paths_is_the_api_of_the_upload(workspace) -> None:
    path = workspace.write("usage.csv", USAGE_CSV.replace("event_id", "id"))
    results = ingest_paths(workspace.ctx(), "usage", [path], mapping=Mapping(columns={"id": "event_id"}))
    assert [(r.status, r.loaded) for r in results] == [("loaded", 3)]
    assert q(workspace, "SELECT count(event_id) FROM usage_events") == [(2,)]


def test_gzip_jsonl_and_parquet_load_like_plain(workspace, ingest_cli) -> None:
    paths = _write_formats(workspace)
    packed = []
    for fmt in ("jsonl", "parquet"):
        target = workspace.path / f"packed-{fmt}.{fmt}.gz"
        target.write_bytes(gzip.compress(Path(paths[fmt]).read_bytes()))
        packed.append(str(target))
    result = ingest_cli("ingest", "usage", paths["csv"], *packed, "--json")
    assert result.rc == 0, result
    assert [counts(o) for o in result.objects()] == [(3, 3, 0, 0), (3, 0, 3, 0), (3, 0, 3, 0)]
    assert q(workspace, "SELECT format FROM ingest_runs ORDER BY started_at") == [
        ("csv",),
        ("jsonl.gz",),
        ("parquet.gz",),
    ]


def test_line_numbers_stay_exact_after_refused_rows(workspace, ingest_cli) -> None:
    # lines 2..2001; malformed lines (wrong field count) at 10, 11 and 500; bad values every 97th line
    lines = []
    for line in range(2, 2002):
        if line in (10, 11, 500):
            lines.append(f"2026-11-02,support-triage,u{line},ok,surplus")
        elif line % 97 == 0:
            lines.append(f"2026-11-02,support-triage,u{line},line{line}")
        else:
            lines.append(f"2026-11-02T10:00:00Z,support-triage,u{line},ok")
    path = workspace.write("u.csv", "timestamp,deployment,user_id,outcome\n" + "\n".join(lines) + "\n")
    (obj,) = ingest_cli("ingest", "usage", str(path), "--json").objects()
    bad_values = [line for line in range(2, 2002) if line % 97 == 0 and line not in (10, 11, 500)]
    assert counts(obj) == (2000, 2000 - 3 - len(bad_values), 0, 3 + len(bad_values))
    reasons = q(workspace, "SELECT line, reason FROM quarantine ORDER BY line")
    assert [r[0] for r in reasons] == sorted([10, 11, 500, *bad_values])
    for line, reason in reasons:
        assert reason.startswith(f"line {line}: ")
        if line % 97 == 0:
            assert f'outcome "line{line}"' in reason  # the value names its own line: numbering is exact
    stored = q(workspace, "SELECT line, user_id FROM usage_events ORDER BY line")
    assert all(user == f"u{line}" for line, user in stored)


def test_real_semicolon_bom_crlf_export_with_a_mapping_file(workspace, ingest_cli) -> None:
    """AI Incident Database export (Apache-2.0, ../shared/data/aiid): `;`, BOM, CRLF, quoted values."""
    source = (
        Path(__file__).resolve().parents[1].parent / "shared" / "data" / "aiid" / "discover_incidents.csv"
    )
    mapping = workspace.write(
        "aiid.toml",
        '[columns]\n"report number" = "incident_id"\n"date published" = "opened_at"\n\n'
        '[defaults]\ndeployment = "support-triage"\nseverity = "Medium"\n',
    )
    (obj,) = ingest_cli("ingest", "incidents", str(source), "--map-file", str(mapping), "--json").objects()
    assert counts(obj) == (12, 12, 0, 0)
    assert obj["extra_columns"][:2] == ["incident id", "date submitted"]
    rows = q(
        workspace, "SELECT incident_id, opened_at, severity, title FROM incidents WHERE incident_id = '23'"
    )
    assert rows == [("23", datetime(2015, 9, 23), "medium", "\u200bIs Starbucks shortchanging its baristas?")]
    (again,) = ingest_cli("ingest", "incidents", str(source), "--map-file", str(mapping), "--json").objects()
    assert counts(again) == (12, 0, 12, 0)


@pytest.mark.parametrize(
    ("quoted", "expected"),
    [
        ('"He said ""stop"", then left"', 'He said "stop", then left'),  # RFC 4180 doubled quotes
        ('"He said \\"stop\\", then left"', 'He said "stop", then left'),  # backslash-escaped quotes
        ('"two\nlines"', "two\nlines"),
    ],
)
def test_quoted_values(workspace, ingest_cli, quoted: str, expected: str) -> None:
    workspace.settings('request_text = "keep"')
    path = workspace.write(
        "u.csv", f"timestamp,deployment,user_id,request_text\n2026-11-02,support-triage,u1,{quoted}\n"
    )
    (obj,) = ingest_cli("ingest", "usage", str(path), "--json").objects()
    assert counts(obj) == (1, 1, 0, 0), obj
    assert q(workspace, "SELECT request_text FROM usage_events") == [(expected,)]
