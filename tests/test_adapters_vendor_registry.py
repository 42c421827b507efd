"""The OpenAI and Anthropic API adapters attributing rows through the registry (`openai_projects`,
`anthropic_workspaces`), end to end through `ingest_paths` into a database in tmp_path: what loads and
where, what is counted as unattributed (never staged), `--deployment` winning, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.adapters import notes_line
from ingest.engine import FileResult, ingest_paths
from postlaunch.config import Context, load_context
from postlaunch.errors import ConfigError
from postlaunch.registry import parse_registry
from postlaunch.settings import Settings

DAY = 1730419200  # 2024-11-01T00:00:00Z
BASE = {"name": "n", "owner": "o", "risk_tier": "high", "launched": "2026-06-01", "approved_use_cases": ["a"]}


def make_ctx(tmp_path: Path, registry: dict[str, dict[str, Any]]) -> Context:
    return Context(
        settings=Settings(db=tmp_path / "pl.duckdb", currency_rates={"EUR": 1.08}),
        registry=parse_registry({k: {**BASE, **v} for k, v in registry.items()}),
    )


def query(ctx: Context, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(ctx.db), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def counts(result: FileResult) -> tuple[str, int, int, int, int]:
    return result.status, result.rows, result.loaded, result.duplicates, result.quarantined


def write_pages(tmp_path: Path, name: str, pages: list[dict[str, Any]]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(p) for p in pages) + "\n", encoding="utf-8")
    return path


def openai_usage(project: str | None, requests: int, input_tokens: int) -> dict[str, Any]:
    return {
        "object": "organization.usage.completions.result",
        "input_tokens": input_tokens,
        "output_tokens": 10,
        "num_model_requests": requests,
        "project_id": project,
        "api_key_id": "key_1",
        "model": "gpt-4o-mini",
    }


def openai_bucket(day: int, results: list[dict[str, Any]]) -> dict[str, Any]:
    start = DAY + 86400 * day
    return {"object": "page", "data": [{"start_time": start, "end_time": start + 86400, "results": results}]}


def openai_usage_file(tmp_path: Path) -> Path:
    """Day 1: proj_a (5 requests), proj_b (7) and a vector-store result (not a model request);
    day 2: proj_a (3), proj_b (2) and a result grouped by no project."""
    return write_pages(
        tmp_path,
        "openai-usage.jsonl",
        [
            openai_bucket(
                0,
                [
                    openai_usage("proj_a", 5, 1000),
                    openai_usage("proj_b", 7, 70),
                    {
                        "object": "organization.usage.vector_stores.result",
                        "usage_bytes": 9,
                        "project_id": "proj_b",
                    },
                ],
            ),
            openai_bucket(
                1, [openai_usage("proj_a", 3, 300), openai_usage("proj_b", 2, 20), openai_usage(None, 1, 1)]
            ),
        ],
    )


@pytest.mark.parametrize(
    ("registry", "by_deployment", "unattributed", "line"),
    [
        (
            {"support-triage": {"openai_projects": ["proj_a"]}},
            [("support-triage", 2, 8, 1300)],
            {"proj_b": 2, "<none>": 1},
            "unattributed=3 (project_id proj_b=2 <none>=1) skipped_results=1",
        ),
        (
            {
                "support-triage": {"openai_projects": ["proj_a"]},
                "hr-assistant": {"openai_projects": ["proj_b"]},
            },
            [("hr-assistant", 2, 9, 90), ("support-triage", 2, 8, 1300)],
            {"<none>": 1},
            "unattributed=1 (project_id <none>=1) skipped_results=1",
        ),
    ],
    ids=["proj_b-unmapped", "proj_b-to-hr-assistant"],
)
def test_openai_usage_by_registry_projects(
    tmp_path: Path,
    registry: dict[str, dict[str, Any]],
    by_deployment: list[tuple[str, int, int, int]],
    unattributed: dict[str, int],
    line: str,
) -> None:
    ctx = make_ctx(tmp_path, registry)
    (result,) = ingest_paths(ctx, "openai-usage", [openai_usage_file(tmp_path)])
    staged = sum(n for _d, n, _r, _t in by_deployment)
    assert counts(result) == ("loaded", staged, staged, 0, 0)
    assert (
        query(
            ctx,
            "SELECT deployment, count(*), sum(requests), sum(input_tokens) FROM usage_events "
            "GROUP BY deployment ORDER BY deployment",
        )
        == by_deployment
    )
    notes = result.notes
    assert notes["attribution"] == "registry openai_projects"
    assert notes["results"] == 6 == staged + notes["unattributed_rows"] + notes["skipped_results"]
    assert notes["unattributed_rows"] == sum(unattributed.values())
    assert notes["unattributed_project_ids"] == unattributed
    assert "unattributed_amount" not in notes  # usage has no money
    assert notes_line(notes) == line
    ((stored,),) = query(ctx, "SELECT notes FROM ingest_runs WHERE run_id = ?", [result.run_id])
    assert json.loads(stored)["unattributed_project_ids"] == unattributed  # the run record keeps them


def test_openai_usage_deployment_option_wins_over_registry(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, {"support-triage": {"openai_projects": ["proj_a"]}, "hr-assistant": {}})
    path = openai_usage_file(tmp_path)
    (first,) = ingest_paths(ctx, "openai-usage", [path])
    assert counts(first) == ("loaded", 2, 2, 0, 0)
    # --deployment puts every model result in support-triage: proj_a's two rows are the ones already loaded
    (second,) = ingest_paths(ctx, "openai-usage", [path], adapter_options={"deployment": "support-triage"})
    assert counts(second) == ("loaded", 5, 3, 2, 0)
    assert second.notes["attribution"] == "--deployment support-triage"
    assert "unattributed_rows" not in second.notes
    assert query(ctx, "SELECT deployment, count(*), sum(requests) FROM usage_events GROUP BY ALL") == [
        ("support-triage", 5, 18)
    ]


def test_openai_costs_unattributed_amount(tmp_path: Path) -> None:
    def cost(project: str | None, value: float, currency: str = "usd") -> dict[str, Any]:
        return {
            "amount": {"value": value, "currency": currency},
            "line_item": "gpt-4o, input",
            "project_id": project,
        }

    pages = [
        openai_bucket(
            0,
            [
                cost("proj_a", 0.06),
                cost("proj_b", 1.25),
                cost("proj_b", 0.5, "eur"),
                cost("proj_x", 2.0, "gbp"),
            ],
        ),
        openai_bucket(1, [cost("proj_a", 0.04), cost(None, 0.10)]),
    ]
    ctx = make_ctx(tmp_path, {"support-triage": {"openai_projects": ["proj_a"]}})
    (result,) = ingest_paths(ctx, "openai-costs", [write_pages(tmp_path, "costs.json", pages)])
    assert counts(result) == ("loaded", 2, 2, 0, 0)
    assert query(ctx, "SELECT deployment, sum(amount), count(*) FROM cost_records GROUP BY ALL") == [
        ("support-triage", pytest.approx(0.10), 2)
    ]
    notes = result.notes
    assert notes["unattributed_rows"] == 4
    # 1.25 USD + 0.50 EUR * 1.08 + 0.10 USD; the GBP row has no rate
    assert notes["unattributed_amount"] == pytest.approx(1.89)
    assert (notes["unattributed_currency"], notes["unattributed_unpriced_rows"]) == ("USD", 1)
    assert notes["unattributed_project_ids"] == {"proj_b": 2, "proj_x": 1, "<none>": 1}
    assert notes_line(notes) == (
        "unattributed=4 (amount 1.89 USD, 1 rows without amount or rate, project_id proj_b=2 proj_x=1 <none>=1)"
    )


def anthropic_page(results: list[dict[str, Any]]) -> dict[str, Any]:
    bucket = {"starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z", "results": results}
    return {"data": [bucket], "has_more": False}


def test_anthropic_usage_by_registry_workspaces(tmp_path: Path) -> None:
    def usage(
        workspace: str | None, model: str, tokens: int, key: str | None = "apikey_01"
    ) -> dict[str, Any]:
        return {
            "uncached_input_tokens": tokens,
            "output_tokens": 5,
            "workspace_id": workspace,
            "api_key_id": key,
            "model": model,
        }

    results = [
        usage("wrkspc_a", "claude-sonnet-4", 100),
        usage("wrkspc_a", "claude-haiku-4", 40),
        usage("wrkspc_b", "claude-sonnet-4", 900),
        usage(None, "claude-sonnet-4", 7, key=None),  # the default workspace, no key: an unknown user
    ]
    ctx = make_ctx(tmp_path, {"support-triage": {"anthropic_workspaces": ["wrkspc_a"]}})
    (result,) = ingest_paths(
        ctx, "anthropic-usage", [write_pages(tmp_path, "usage.json", [anthropic_page(results)])]
    )
    assert counts(result) == ("loaded", 2, 2, 0, 0)
    assert query(ctx, "SELECT deployment, count(*), sum(input_tokens) FROM usage_events GROUP BY ALL") == [
        ("support-triage", 2, 140)
    ]
    notes = result.notes
    assert notes["attribution"] == "registry anthropic_workspaces"
    assert (notes["results"], notes["unattributed_rows"], notes["requests_unknown"]) == (4, 2, 2)
    assert notes["unattributed_workspace_ids"] == {"wrkspc_b": 1, "<none>": 1}
    assert "unknown_users" not in notes  # the unattributed row's identity is not this run's
    assert notes_line(notes) == "unattributed=2 (workspace_id wrkspc_b=1 <none>=1) requests_unknown=2"


def test_anthropic_costs_by_registry_workspaces(tmp_path: Path) -> None:
    def cost(workspace: str | None, cents: str) -> dict[str, Any]:
        return {
            "currency": "USD",
            "amount": cents,
            "workspace_id": workspace,
            "description": "Claude Sonnet 4 usage",
        }

    results = [
        cost("wrkspc_a", "123.45"),
        cost("wrkspc_b", "250"),
        cost("wrkspc_b", "lots"),
        cost(None, "10"),
    ]
    ctx = make_ctx(tmp_path, {"support-triage": {"anthropic_workspaces": ["wrkspc_a"]}})
    (result,) = ingest_paths(
        ctx, "anthropic-costs", [write_pages(tmp_path, "cost.json", [anthropic_page(results)])]
    )
    assert counts(result) == ("loaded", 1, 1, 0, 0)
    assert query(ctx, "SELECT deployment, amount, description FROM cost_records") == [
        ("support-triage", 1.2345, "Claude Sonnet 4 usage (workspace wrkspc_a)")
    ]
    notes = result.notes
    assert (notes["unattributed_rows"], notes["unattributed_unpriced_rows"]) == (3, 1)
    assert notes["unattributed_amount"] == pytest.approx(2.6)  # 250 + 10 cents; "lots" cannot be summed
    assert notes["unattributed_workspace_ids"] == {"wrkspc_b": 2, "<none>": 1}


@pytest.mark.parametrize(
    ("adapter", "other_vendor", "field", "key"),
    [
        ("openai-usage", {"anthropic_workspaces": ["wrkspc_a"]}, "project_id", "openai_projects"),
        ("openai-costs", {"anthropic_workspaces": ["wrkspc_a"]}, "project_id", "openai_projects"),
        ("anthropic-usage", {"openai_projects": ["proj_a"]}, "workspace_id", "anthropic_workspaces"),
        ("anthropic-costs", {"openai_projects": ["proj_a"]}, "workspace_id", "anthropic_workspaces"),
    ],
)
def test_no_deployment_and_no_registry_list_is_refused(
    tmp_path: Path, adapter: str, other_vendor: dict[str, Any], field: str, key: str
) -> None:
    ctx = make_ctx(tmp_path, {"support-triage": other_vendor})  # the other vendor's list does not count
    path = write_pages(tmp_path, "e.json", [{"data": []}])
    (result,) = ingest_paths(ctx, adapter, [path])
    assert (result.status, result.loaded) == ("failed", 0)
    assert result.message is not None
    assert (
        f"{adapter} exports name no deployment: give --deployment ID (known: support-triage), "
        f"or list the export's {field} values under {key} of a deployment in the registry"
    ) in result.message


def test_a_project_under_two_deployments_is_refused_in_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "postlaunch.toml"
    body = 'name = "n"\nowner = "o"\nrisk_tier = "high"\nlaunched = 2026-06-01\napproved_use_cases = ["a"]\n'
    config.write_text(
        f'[deployments.alpha]\n{body}openai_projects = ["proj_a", "proj_shared"]\n'
        f'[deployments.beta]\n{body}openai_projects = ["proj_shared"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_context(config, tmp_path / "pl.duckdb")
    assert (
        f"{config}: deployments.beta.openai_projects: 'proj_shared' is also listed under "
        "deployments.alpha.openai_projects (an id belongs to one deployment)"
    ) in str(err.value)
