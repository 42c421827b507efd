"""The adapters end to end: real files through `ingest_paths` (and the command line) into a database
in tmp_path; counts, quarantine reasons, run notes, and the weekly cost the metrics read, checked
against sums computed independently from the source files with csv and Decimal."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from shared_data import shared_files

from ingest.engine import FileResult, ingest_paths
from ingest.mapping import load_map_file
from metrics.queries import run as run_query
from postlaunch.config import Context
from postlaunch.registry import parse_registry
from postlaunch.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SAMPLE = DATA / "focus" / "focus_sample_1.0.csv"
EXAMPLES = shared_files("focus/spec_examples_v1.2/*.csv", at_least=15)
BASE = {"name": "n", "owner": "o", "risk_tier": "high", "launched": "2026-06-01", "approved_use_cases": ["a"]}
COST_MATCH = {"ServiceName": ["Amazon Simple Queue Service"], "SubAccountId": ["43883916739"]}


def make_ctx(tmp_path: Path, **registry: dict[str, Any]) -> Context:
    deployments = registry or {"support-triage": {"otel_services": ["capture"]}}
    return Context(
        settings=Settings(db=tmp_path / "pl.duckdb"),
        registry=parse_registry({k: {**BASE, **v} for k, v in deployments.items()}),
    )


def query(ctx: Context, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(ctx.db), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def counts(result: FileResult) -> tuple[str, int, int, int, int]:
    return result.status, result.rows, result.loaded, result.duplicates, result.quarantined


def monday_of(week_index: int) -> dt.date:
    """metrics/sql/cost_weekly.sql numbers weeks as (days since 1970-01-01 + 3) // 7: week 0 ends Sunday 4 Jan 1970."""
    return dt.date(1970, 1, 1) + dt.timedelta(days=7 * week_index - 3)


def source_weeks(amounts: list[tuple[str, Decimal]]) -> dict[dt.date, Decimal]:
    out: dict[dt.date, Decimal] = defaultdict(Decimal)
    for day, amount in amounts:
        date = dt.date.fromisoformat(day[:10])
        out[date - dt.timedelta(days=date.weekday())] += amount
    return dict(out)


def weekly_cost(ctx: Context, deployment: str) -> dict[dt.date, float]:
    with duckdb.connect(str(ctx.db), read_only=True) as conn:
        rows = run_query(conn, "cost_weekly", {"ids": [deployment]})
    out: dict[dt.date, float] = defaultdict(float)
    for row in rows:
        out[monday_of(row["wk"])] += row["amount"]
    return dict(out)


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_focus_sample_with_deployment_week_totals(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    (result,) = ingest_paths(ctx, "focus", [SAMPLE], adapter_options={"deployment": "support-triage"})
    assert counts(result) == ("loaded", 1000, 1000, 0, 0)
    assert result.extra_columns == ["Id"]
    expected = source_weeks([(r["ChargePeriodStart"], Decimal(r["BilledCost"])) for r in sample_rows()])
    got = weekly_cost(ctx, "support-triage")
    assert sorted(got) == sorted(expected)
    for week, amount in expected.items():
        assert got[week] == pytest.approx(float(amount), abs=1e-9), week
    # loading the same export again adds nothing
    (again,) = ingest_paths(ctx, "focus", [SAMPLE], adapter_options={"deployment": "support-triage"})
    assert counts(again) == ("loaded", 1000, 0, 1000, 0)
    assert query(ctx, "SELECT count(*), count(DISTINCT source) FROM cost_records") == [(1000, 1)]


def test_focus_sample_with_registry_cost_match(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, **{"support-triage": {"cost_match": COST_MATCH}})
    (result,) = ingest_paths(ctx, "focus", [SAMPLE])
    source = sample_rows()
    claimed = [
        r
        for r in source
        if r["ServiceName"] in COST_MATCH["ServiceName"] or r["SubAccountId"] in COST_MATCH["SubAccountId"]
    ]
    rest = [r for r in source if r not in claimed]
    assert counts(result) == ("loaded", len(claimed), len(claimed), 0, 0) == ("loaded", 23, 23, 0, 0)
    rest_sum = float(sum(Decimal(r["BilledCost"]) for r in rest))
    assert result.notes["unattributed_rows"] == len(rest) == 977
    assert result.notes["unattributed_amount"] == pytest.approx(rest_sum, abs=1e-6)
    (notes,) = query(ctx, "SELECT notes FROM ingest_runs WHERE run_id = ?", [result.run_id])[0]
    assert json.loads(notes)["unattributed_rows"] == 977  # the run record keeps them
    ((loaded_sum,),) = query(ctx, "SELECT sum(amount) FROM cost_records")
    assert loaded_sum == pytest.approx(float(sum(Decimal(r["BilledCost"]) for r in claimed)), abs=1e-12)


def test_focus_rows_differing_only_in_columns_not_kept_are_two_charges(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, **{"support-triage": {}, "hr-assistant": {}})
    head = "BilledCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,SkuId"
    row = "12.50,USD,2026-11-02T00:00:00Z,2026-11-03T00:00:00Z,Usage,Amazon Bedrock,{sku}"
    path = tmp_path / "bill.csv"
    path.write_text(
        "\n".join([head, row.format(sku="sku-a"), row.format(sku="sku-b"), row.format(sku="sku-a")])
    )
    options = {"deployment": "support-triage"}
    (result,) = ingest_paths(ctx, "focus", [path], adapter_options=options)
    # the two SKUs are two charges (same cost contract values); the repeated sku-a line is a duplicate
    assert counts(result) == ("loaded", 3, 2, 1, 0)
    assert query(ctx, "SELECT sum(amount) FROM cost_records") == [(25.0,)]
    # the same bill attributed to another deployment is a conflict, never a second charge
    (other,) = ingest_paths(ctx, "focus", [path], adapter_options={"deployment": "hr-assistant"})
    assert counts(other) == (
        "loaded",
        3,
        0,
        1,
        2,
    )  # two conflicts; the repeated line is a duplicate of line 2
    assert query(ctx, "SELECT sum(amount) FROM cost_records") == [(25.0,)]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_focus_12_examples(tmp_path: Path, path: Path) -> None:
    ctx = make_ctx(tmp_path)
    (refused,) = ingest_paths(ctx, "focus", [path], adapter_options={"deployment": "support-triage"})
    assert refused.status == "failed" and refused.loaded == 0
    assert refused.message is not None and '"4/1/25" (line 2) is ambiguous' in refused.message
    options = {"deployment": "support-triage", "date_order": "mdy"}
    (result,) = ingest_paths(ctx, "focus", [path], adapter_options=options)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        source = list(csv.DictReader(handle))
    assert counts(result) == ("loaded", len(source), len(source), 0, 0)
    billed = sum(Decimal(r["BilledCost"].strip().replace("$", "").replace(",", "")) for r in source)
    ((stored,),) = query(ctx, "SELECT coalesce(sum(amount), 0) FROM cost_records")
    assert stored == pytest.approx(float(billed))
    assert query(ctx, "SELECT count(*) FROM ingest_runs WHERE status = 'failed'") == [(1,)]


@pytest.mark.parametrize(
    ("file", "latency"),
    [("openllmetry_in.json", 25.878), ("openinference_in.json", 23.086)],
)
def test_otel_files_load_one_model_call(tmp_path: Path, file: str, latency: float) -> None:
    ctx = make_ctx(tmp_path)
    (result,) = ingest_paths(ctx, "otel", [DATA / "otel" / file])
    assert counts(result) == ("loaded", 1, 1, 0, 0)
    rows = query(
        ctx,
        "SELECT model, input_tokens, output_tokens, latency_ms, user_id, outcome, requests, has_text FROM usage_events",
    )
    assert rows == [("gpt-4o-mini-2024-07-18", 412, 27, pytest.approx(latency), "unknown", "ok", 1, True)]


def test_otel_unmapped_service_is_quarantined(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, elsewhere={"otel_services": ["checkout-bot"]})
    (result,) = ingest_paths(ctx, "otel", [DATA / "otel" / "openllmetry_in.json"])
    assert counts(result) == ("loaded", 1, 0, 0, 1)
    assert result.notes["skipped_spans"] == 1
    ((reason,),) = query(ctx, "SELECT reason FROM quarantine")
    assert reason == (
        'line 1: span 76a26812…: service.name "capture" matches no deployment\'s otel_services '
        "and no --deployment was given"
    )


def test_vendor_export_loads(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    result = {
        "num_model_requests": 3,
        "input_tokens": 30,
        "output_tokens": 9,
        "model": "gpt-4o",
        "project_id": "p",
    }
    pages = [
        {
            "object": "page",
            "data": [
                {
                    "start_time": 1730419200 + 86400 * i,
                    "end_time": 1730505600 + 86400 * i,
                    "results": [result],
                }
            ],
        }
        for i in range(2)
    ]
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in pages), encoding="utf-8")
    options = {"deployment": "support-triage"}
    (loaded,) = ingest_paths(ctx, "openai-usage", [path], adapter_options=options)
    assert counts(loaded) == ("loaded", 2, 2, 0, 0)
    assert query(ctx, "SELECT sum(requests), sum(input_tokens), min(ts) FROM usage_events") == [
        (6, 60, dt.datetime(2024, 11, 1))
    ]
    (missing,) = ingest_paths(ctx, "openai-usage", [path])
    assert missing.status == "failed" and "give --deployment ID" in (missing.message or "")


AIID = DATA / "aiid" / "discover_incidents.csv"
AIID_MAPPING = ROOT / "docs" / "examples" / "aiid-mapping.toml"


def aiid_reports() -> dict[str, dict[str, str]]:
    """The export's rows by report number, read with its quirks: `;`, BOM, CRLF, backslash-escaped quotes."""
    with AIID.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";", escapechar="\\", doublequote=False))
    return {r["report number"]: r for r in rows}


def test_aiid_incidents_through_mapping_file(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    (result,) = ingest_paths(ctx, "incidents", [AIID], mapping=load_map_file(AIID_MAPPING))
    reports = aiid_reports()
    assert result.status == "loaded" and result.rows == len(reports) == 12
    assert result.loaded + result.quarantined == 12 and result.duplicates == 0
    assert "incident id" in result.extra_columns and "url" not in result.extra_columns
    rows = query(
        ctx,
        "SELECT incident_id, opened_at, aware_at, deployment, severity, status, title, description FROM incidents",
    )
    assert len(rows) == result.loaded
    for incident_id, opened, aware, deployment, severity, status, title, description in rows:
        source = reports[incident_id]
        assert opened == dt.datetime.fromisoformat(source["date published"])
        assert aware == dt.datetime.fromisoformat(source["date submitted"])
        assert (deployment, severity, status) == ("support-triage", "medium", "open")
        assert (title, description) == (source["title"], source["url"])
    # every report is an incident or a quarantined line with its reason: nothing lost
    lines = query(ctx, "SELECT line FROM quarantine")
    assert len(lines) == result.quarantined


def test_aiid_every_report_loads(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    (result,) = ingest_paths(ctx, "incidents", [AIID], mapping=load_map_file(AIID_MAPPING))
    assert counts(result) == ("loaded", 12, 12, 0, 0)


def test_command_line_summary(tmp_path: Path) -> None:
    config = tmp_path / "postlaunch.toml"
    config.write_text(
        '[deployments.support-triage]\nname = "n"\nowner = "o"\nrisk_tier = "high"\nlaunched = 2026-06-01\n'
        'approved_use_cases = ["a"]\n[deployments.support-triage.cost_match]\n'
        'ServiceName = ["Amazon Simple Queue Service"]\nSubAccountId = ["43883916739"]\n',
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "cli.main", "--config", str(config), "--db", str(tmp_path / "c.duckdb"),
           "ingest", "focus", str(SAMPLE), "--json"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["rows"], out["loaded"], out["notes"]["unattributed_rows"]) == (23, 23, 977)
