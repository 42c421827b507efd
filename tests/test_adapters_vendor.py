"""The OpenAI and Anthropic organization usage/cost API adapters on synthetic exports of every shape:
one page, a JSON list of pages, JSON Lines of pages, OpenAI's `result` and `results`, Anthropic's
nested cache_creation and its cost `amount` as a string of cents."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ingest.adapters import ADAPTERS, notes_line
from ingest.adapters._common import AdapterError
from postlaunch.config import Context
from postlaunch.errors import UsageError
from postlaunch.registry import parse_registry
from postlaunch.settings import Settings

DAY = 1730419200  # 2024-11-01T00:00:00Z


def make_ctx() -> Context:
    base = {
        "name": "n",
        "owner": "o",
        "risk_tier": "high",
        "launched": "2026-06-01",
        "approved_use_cases": ["a"],
    }
    return Context(settings=Settings(), registry=parse_registry({"support-triage": base}))


def run(
    adapter: str, tmp_path: Path, doc: Any, name: str = "export.json", **options: Any
) -> list[dict[str, Any]]:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    (item,) = ADAPTERS[adapter].convert(path, make_ctx(), {"deployment": "support-triage", **options})
    run.notes = item.notes  # type: ignore[attr-defined]
    run.format = item.format  # type: ignore[attr-defined]
    return item.table.to_pylist()


def openai_usage_page(results_key: str = "results", start: Any = DAY, **result: Any) -> dict[str, Any]:
    body = {
        "object": "organization.usage.completions.result",
        "input_tokens": 1000,
        "output_tokens": 500,
        "input_cached_tokens": 800,
        "num_model_requests": 5,
        "project_id": "proj_1",
        "user_id": None,
        "api_key_id": "key_1",
        "model": "gpt-4o-mini-2024-07-18",
        "batch": False,
    }
    body.update(result)
    end = start + 86400 if isinstance(start, int) else None
    bucket = {"object": "bucket", "start_time": start, "end_time": end, results_key: [body]}
    return {"object": "page", "data": [bucket], "has_more": False, "next_page": None}


@pytest.mark.parametrize("results_key", ["results", "result"])
def test_openai_usage_both_list_names(tmp_path: Path, results_key: str) -> None:
    (row,) = run("openai-usage", tmp_path, openai_usage_page(results_key))
    assert row["timestamp"] == "2024-11-01T00:00:00+00:00"
    assert (row["input_tokens"], row["output_tokens"], row["requests"]) == ("1000", "500", "5")
    assert row["model"] == "gpt-4o-mini-2024-07-18"
    assert row["user_id"] == "key_1"  # no user_id: the API key is the most specific identity
    assert row["event_id"] == f"openai-completions:{DAY}:proj_1::key_1:gpt-4o-mini-2024-07-18:False:"
    assert row["deployment"] == "support-triage" and row["__reason"] is None


@pytest.mark.parametrize(
    ("ids", "user"),
    [
        ({"user_id": "user_9", "api_key_id": "key_1", "project_id": "proj_1"}, "user_9"),
        ({"user_id": None, "api_key_id": "key_1", "project_id": "proj_1"}, "key_1"),
        ({"user_id": None, "api_key_id": None, "project_id": "proj_1"}, "proj_1"),
        ({"user_id": None, "api_key_id": None, "project_id": None}, "unknown"),
    ],
)
def test_openai_user_order(tmp_path: Path, ids: dict[str, Any], user: str) -> None:
    (row,) = run("openai-usage", tmp_path, openai_usage_page(**ids))
    assert row["user_id"] == user
    assert run.notes.get("unknown_users", 0) == (1 if user == "unknown" else 0)  # type: ignore[attr-defined]


def test_openai_usage_list_of_pages_and_json_lines(tmp_path: Path) -> None:
    pages = [openai_usage_page(), openai_usage_page(start=DAY + 86400, model="gpt-4o")]
    listed = run("openai-usage", tmp_path, pages)
    assert [r["timestamp"][:10] for r in listed] == ["2024-11-01", "2024-11-02"]
    lines = "\n".join(json.dumps(p) for p in pages) + "\n"
    from_lines = run("openai-usage", tmp_path, lines, name="export.jsonl")
    assert run.format == "jsonl"  # type: ignore[attr-defined]
    assert [r["event_id"] for r in from_lines] == [r["event_id"] for r in listed]
    assert [r["__line"] for r in from_lines] == [1, 2]


def test_openai_usage_skips_results_that_are_not_model_requests(tmp_path: Path) -> None:
    page = openai_usage_page()
    page["data"][0]["results"].append(
        {"object": "organization.usage.vector_stores.result", "usage_bytes": 10}
    )
    page["data"].append(
        {"object": "bucket", "start_time": DAY + 86400, "end_time": DAY + 172800, "results": []}
    )
    rows = run("openai-usage", tmp_path, page)
    assert len(rows) == 1
    assert run.notes == {  # type: ignore[attr-defined]
        "attribution": "--deployment support-triage",
        "results": 2,
        "skipped_results": 1,
    }


def test_openai_costs(tmp_path: Path) -> None:
    results = [
        {
            "object": "organization.costs.result",
            "amount": {"value": 0.06, "currency": "usd"},
            "line_item": "gpt-4o, input",
            "project_id": "proj_1",
        },
        {
            "object": "organization.costs.result",
            "amount": {"value": 1e-05, "currency": "usd"},
            "line_item": None,
            "project_id": None,
        },
    ]
    page = {
        "object": "page",
        "data": [{"object": "bucket", "start_time": DAY, "end_time": DAY + 86400, "results": results}],
    }
    rows = run("openai-costs", tmp_path, page)
    assert [(r["date"], r["amount"], r["currency"], r["category"], r["description"]) for r in rows] == [
        ("2024-11-01", "0.06", "USD", "usage", "gpt-4o, input (project proj_1)"),
        ("2024-11-01", "0.00001", "USD", "usage", "OpenAI API"),
    ]


def anthropic_usage(**result: Any) -> dict[str, Any]:
    body = {
        "uncached_input_tokens": 1500,
        "cache_creation": {"ephemeral_1h_input_tokens": 1000, "ephemeral_5m_input_tokens": 500},
        "cache_read_input_tokens": 200,
        "output_tokens": 500,
        "server_tool_use": {"web_search_requests": 10},
        "api_key_id": "apikey_01",
        "workspace_id": "wrkspc_01",
        "model": "claude-sonnet-4-20250514",
        "service_tier": "standard",
        "context_window": "0-200k",
    }
    body.update(result)
    bucket = {"starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z", "results": [body]}
    return {"data": [bucket], "has_more": False, "next_page": None}


@pytest.mark.parametrize(
    ("changes", "input_tokens", "user"),
    [
        ({}, "3200", "apikey_01"),  # 1500 uncached + 200 cache read + 1000 + 500 cache creation
        ({"cache_creation": None, "cache_creation_5m_input_tokens": 7}, "1707", "apikey_01"),  # flattened
        ({"account_id": "user_01"}, "3200", "user_01"),
        ({"api_key_id": None}, "3200", "wrkspc_01"),
    ],
)
def test_anthropic_usage(tmp_path: Path, changes: dict[str, Any], input_tokens: str, user: str) -> None:
    (row,) = run("anthropic-usage", tmp_path, anthropic_usage(**changes))
    assert row["timestamp"] == "2025-08-01T00:00:00Z"
    assert (row["input_tokens"], row["output_tokens"], row["requests"]) == (input_tokens, "500", "1")
    assert row["user_id"] == user
    assert row["model"] == "claude-sonnet-4-20250514"
    assert run.notes["requests_unknown"] == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("amount", "dollars", "reason"),
    [
        ("123.45", "1.2345", None),
        ("0.5", "0.005", None),
        ("100", "1", None),
        ("-250", "-2.5", None),
        ("lots", "lots", 'amount "lots" is not a decimal string of cents'),
    ],
)
def test_anthropic_costs_amount_in_cents(
    tmp_path: Path, amount: str, dollars: str, reason: str | None
) -> None:
    result = {
        "currency": "usd",
        "amount": amount,
        "workspace_id": "wrkspc_01",
        "description": None,
        "cost_type": "tokens",
        "model": "claude-sonnet-4-20250514",
        "token_type": "uncached_input_tokens",
    }
    page = {
        "data": [
            {"starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z", "results": [result]}
        ]
    }
    (row,) = run("anthropic-costs", tmp_path, page)
    assert row["amount"] == dollars and row["__reason"] == reason
    if reason is None:
        assert Decimal(row["amount"]) * 100 == Decimal(amount)
    assert (row["date"], row["currency"], row["category"]) == ("2025-08-01", "USD", "usage")
    assert (
        row["description"] == "tokens, claude-sonnet-4-20250514, uncached_input_tokens (workspace wrkspc_01)"
    )


@pytest.mark.parametrize("adapter", ["openai-usage", "openai-costs", "anthropic-usage", "anthropic-costs"])
def test_deployment_is_required(tmp_path: Path, adapter: str) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"data": []}), encoding="utf-8")
    with pytest.raises(UsageError, match="give --deployment ID"):
        ADAPTERS[adapter].convert(path, make_ctx(), {})


def test_not_a_page_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"object": "list", "items": []}), encoding="utf-8")
    with pytest.raises(AdapterError, match="line 1: expected a usage or cost API page"):
        ADAPTERS["openai-usage"].convert(path, make_ctx(), {"deployment": "support-triage"})


def test_bad_bucket_start_is_quarantined(tmp_path: Path) -> None:
    (row,) = run("openai-usage", tmp_path, openai_usage_page(start="yesterday"))
    assert row["__reason"] == 'bucket start_time "yesterday" is not epoch seconds'


@pytest.mark.parametrize(
    ("notes", "line"),
    [
        ({}, ""),
        (
            {"unattributed_rows": 991, "unattributed_amount": 12345.674, "unattributed_currency": "USD"},
            "unattributed=991 (amount 12,345.67 USD)",
        ),
        (
            {
                "unattributed_rows": 2,
                "unattributed_amount": 1.0,
                "unattributed_currency": "EUR",
                "unattributed_unpriced_rows": 1,
            },
            "unattributed=2 (amount 1.00 EUR, 1 rows without amount or rate)",
        ),
        (
            {
                "spans": 3,
                "skipped_spans": 2,
                "skipped_span_kinds": {"CHAIN": 1, "TOOL": 1},
                "unknown_users": 1,
            },
            "skipped_spans=2 (CHAIN=1, TOOL=1) unknown_users=1",
        ),
        ({"skipped_spans": 0, "unknown_users": 0, "requests_unknown": 4}, "requests_unknown=4"),
        ({"unattributed_rows": 0, "unattributed_project_ids": {}}, "unattributed=0"),  # usage: no amount
        (
            {"unattributed_rows": 3, "unattributed_workspace_ids": {"wrkspc_b": 2, "<none>": 1}},
            "unattributed=3 (workspace_id wrkspc_b=2 <none>=1)",
        ),
        (
            {"date_order": "mdy", "unattributed_rows": 0, "unattributed_amount": 0.0},
            "unattributed=0 (amount 0.00) date_order=mdy",
        ),
    ],
)
def test_notes_line(notes: dict[str, Any], line: str) -> None:
    assert notes_line(notes) == line
