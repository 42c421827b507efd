"""Registry validation (each problem named with deployment and key) and policy change records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from postlaunch.db import connect
from postlaunch.errors import ConfigError, UnknownDeploymentError
from postlaunch.registry import parse_registry
from postlaunch.registry_log import record_registry_change


def base(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Support ticket triage",
        "owner": "Head of Support",
        "risk_tier": "high",
        "launched": "2026-06-01",
        "approved_use_cases": ["ticket_classification", "routing_suggestion"],
    }
    body.update(over)
    return body


def test_a_valid_deployment_loads_with_defaults() -> None:
    reg = parse_registry({"support-triage": base(approved_teams=["l1"], weekly_budget=1500)})
    dep = reg.get("support-triage")
    assert dep.status == "active"
    assert dep.max_data_class == "internal"
    assert dep.review_day == "monday"
    assert dep.weekly_budget == 1500


@pytest.mark.parametrize(
    ("over", "fragment"),
    [
        ({"risk_tier": "extreme"}, "deployments.d1.risk_tier: 'extreme' is not allowed"),
        ({"max_data_class": "secret"}, "deployments.d1.max_data_class: 'secret' is not allowed"),
        ({"status": "sleeping"}, "deployments.d1.status"),
        ({"approved_use_cases": ["a", "b", "a"]}, "deployments.d1.approved_use_cases: 'a' is listed twice"),
        ({"approved_use_cases": []}, "deployments.d1.approved_use_cases"),
        ({"thresholds": {"no_such_metric": {"warn": 0.1}}}, "threshold for unknown metric 'no_such_metric'"),
        ({"thresholds": {"events": {"warn": 10}}}, "metric 'events' takes no threshold"),
        (
            {"thresholds": {"error_rate": {"warn": 0.2, "critical": 0.1}}},
            "error_rate: warn 0.2 is above critical 0.1",
        ),
        (
            {"thresholds": {"acceptance_rate": {"warn": 0.5, "critical": 0.7}}},
            "acceptance_rate: warn 0.5 is below critical 0.7",
        ),
        (
            {"thresholds": {"error_rate": {"warm": 0.2}}},
            "deployments.d1.thresholds.error_rate.warm: unknown key",
        ),
        ({"colour": "blue"}, "deployments.d1.colour: unknown key"),
        ({"weekly_budget": -5}, "deployments.d1.weekly_budget"),
        ({"launched": "yesterday"}, "deployments.d1.launched"),
        ({"use_case_descriptions": {"poetry": "Write poems"}}, "'poetry' is not one of approved_use_cases"),
        ({"use_case_examples": {"ticket_classification": ["x"] * 21}}, "21 examples, at most 20"),
        ({"scope_threshold": 1.5}, "deployments.d1.scope_threshold"),
        ({"cost_match": {"ResourceID": ["x"]}}, "deployments.d1.cost_match.ResourceID: unknown key"),
        (
            {"openai_projects": ["proj_a", "proj_a"]},
            "deployments.d1.openai_projects: 'proj_a' is listed twice",
        ),
        ({"openai_projects": [" "]}, "deployments.d1.openai_projects: an empty name is not allowed"),
        ({"openai_projects": "proj_a"}, "deployments.d1.openai_projects"),
        (
            {"anthropic_workspaces": ["wrkspc_1", "wrkspc_1"]},
            "deployments.d1.anthropic_workspaces: 'wrkspc_1' is listed twice",
        ),
        ({"anthropic_workspaces": [""]}, "deployments.d1.anthropic_workspaces: an empty name is not allowed"),
    ],
)
def test_bad_registry_entries_are_refused_naming_deployment_and_key(
    over: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse_registry({"d1": base(**over)}, "reg.toml")
    assert fragment in str(err.value)
    assert "reg.toml" in str(err.value)


@pytest.mark.parametrize(
    ("lists", "problems"),
    [
        ({"a": {"openai_projects": ["p1"]}, "b": {"openai_projects": ["p2"]}}, []),
        # the same id for two vendors is no clash: the keys are separate namespaces
        ({"a": {"openai_projects": ["x"]}, "b": {"anthropic_workspaces": ["x"]}}, []),
        (
            {"a": {"openai_projects": ["p1", "p2"]}, "b": {"openai_projects": ["p2"]}},
            ["deployments.b.openai_projects: 'p2' is also listed under deployments.a.openai_projects"],
        ),
        (
            {
                "a": {"anthropic_workspaces": ["w1"]},
                "b": {"anthropic_workspaces": ["w1"]},
                "c": {"anthropic_workspaces": ["w1"]},
            },
            [
                "deployments.b.anthropic_workspaces: 'w1' is also listed under deployments.a.anthropic_workspaces",
                "deployments.c.anthropic_workspaces: 'w1' is also listed under deployments.a.anthropic_workspaces",
            ],
        ),
    ],
)
def test_a_vendor_id_belongs_to_one_deployment(
    lists: dict[str, dict[str, list[str]]], problems: list[str]
) -> None:
    raw = {dep_id: base(**keys) for dep_id, keys in lists.items()}
    if not problems:
        reg = parse_registry(raw)
        for dep_id, keys in lists.items():
            for key, ids in keys.items():
                assert getattr(reg.get(dep_id), key) == ids
        return
    with pytest.raises(ConfigError) as err:
        parse_registry(raw, "reg.toml")
    lines = str(err.value).splitlines()[1:]
    assert lines == [f"reg.toml: {p} (an id belongs to one deployment)" for p in problems]


def test_keys_at_their_default_leave_the_recorded_state_as_before(tmp_path: Path) -> None:
    plain = parse_registry({"d1": base()})
    for key in ("openai_projects", "anthropic_workspaces", "otel_services", "max_data_class", "status"):
        assert f'"{key}"' not in plain.canonical_json()  # a key a later version adds changes no state
    assert plain.canonical_json() == parse_registry({"d1": base(status="active")}).canonical_json()
    mapped = parse_registry({"d1": base(openai_projects=["proj_a"])})
    with connect(tmp_path / "x.duckdb") as conn:
        assert record_registry_change(conn, plain) == []
        assert record_registry_change(conn, mapped) == ['d1: registry: openai_projects [] -> ["proj_a"]']


def test_missing_required_keys_are_named() -> None:
    with pytest.raises(ConfigError) as err:
        parse_registry({"d1": {"name": "x"}})
    for key in ("owner", "risk_tier", "launched", "approved_use_cases"):
        assert f"deployments.d1.{key}" in str(err.value)


def test_unknown_deployment_lookup_names_the_known_ones() -> None:
    reg = parse_registry({"b": base(), "a": base()})
    with pytest.raises(UnknownDeploymentError, match="unknown deployment 'zz'; known: a, b"):
        reg.get("zz")


def test_registry_change_is_recorded_as_policy_change(tmp_path: Path) -> None:
    first = parse_registry({"d1": base(), "d2": base()})
    changed = parse_registry({"d1": base(risk_tier="medium", approved_use_cases=["ticket_classification"])})
    with connect(tmp_path / "x.duckdb") as conn:
        assert record_registry_change(conn, first) == []  # first run: state only
        assert record_registry_change(conn, first) == []  # unchanged
        summaries = record_registry_change(conn, changed)
        rows = conn.execute(
            "SELECT deployment, kind, summary, source FROM changes ORDER BY deployment"
        ).fetchall()
        assert record_registry_change(conn, changed) == []  # recorded once
    assert len(summaries) == 2
    assert rows[0][0] == "d1" and rows[0][1] == "policy" and rows[0][3] == "registry"
    assert 'risk_tier "high" -> "medium"' in rows[0][2]
    assert (
        'approved_use_cases ["ticket_classification", "routing_suggestion"] -> ["ticket_classification"]'
        in rows[0][2]
    )
    assert rows[1][0] == "d2" and "removed" in rows[1][2]


def test_a_change_from_a_default_names_the_default(tmp_path: Path) -> None:
    before = parse_registry({"d1": base()})
    after = parse_registry({"d1": base(max_data_class="confidential")})
    with connect(tmp_path / "x.duckdb") as conn:
        record_registry_change(conn, before)
        (summary,) = record_registry_change(conn, after)
    assert summary == 'd1: registry: max_data_class "internal" -> "confidential"'
