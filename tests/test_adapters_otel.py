"""The `otel` adapter on the two real OTLP/JSON files (OpenLLMetry and OpenInference, from
Grace/genai-interlingua, Apache-2.0) and on small synthetic exports for every encoding and rule."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from ingest.adapters import otel
from ingest.adapters._common import AdapterError
from postlaunch.config import Context
from postlaunch.errors import UnknownDeploymentError
from postlaunch.registry import parse_registry
from postlaunch.settings import Settings

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "otel"


def make_ctx(**extra: dict[str, Any]) -> Context:
    base = {
        "name": "n",
        "owner": "o",
        "risk_tier": "high",
        "launched": "2026-06-01",
        "approved_use_cases": ["a"],
    }
    deployments = {"support-triage": {**base, "otel_services": ["capture"]}, "other": dict(base)}
    for dep_id, body in extra.items():
        deployments[dep_id] = {**base, **body}
    return Context(settings=Settings(), registry=parse_registry(deployments))


def rows(converted: list[otel.Converted], kind: str) -> list[dict[str, Any]]:
    for item in converted:
        if item.kind == kind:
            return item.table.to_pylist()
    return []


@pytest.mark.parametrize(
    ("file", "event_id", "timestamp", "latency", "skipped"),
    [
        (
            "openllmetry_in.json",
            "77d66be22a4ffc8149309684b3a319f7:76a26812b532f640",
            "2026-09-07T13:54:23.812545+00:00",  # 1788789263812545000 ns
            "25.878",  # 1788789263838423000 - 1788789263812545000 ns
            {"workflow": 1},
        ),
        (
            "openinference_in.json",
            "9ed94f9bdc36b397e11c51f77d49e01a:e9856d6fe698c4f2",
            "2026-09-07T13:25:18.970589+00:00",  # 1788787518970589000 ns
            "23.086",  # 1788787518993675000 - 1788787518970589000 ns
            None,
        ),
    ],
)
def test_real_files_one_model_call_each(
    file: str, event_id: str, timestamp: str, latency: str, skipped: dict[str, int] | None
) -> None:
    converted = otel.convert(DATA / file, make_ctx(), {})
    usage = rows(converted, "usage")
    assert len(usage) == 1
    row = usage[0]
    assert row["event_id"] == event_id
    assert row["timestamp"] == timestamp
    assert row["model"] == "gpt-4o-mini-2024-07-18"  # the response model, not the requested gpt-4o-mini
    assert (row["input_tokens"], row["output_tokens"]) == ("412", "27")
    assert row["latency_ms"] == latency
    assert row["outcome"] == "ok"
    assert row["deployment"] == "support-triage"  # service.name "capture" is in its otel_services
    assert row["user_id"] == "unknown"
    assert row["request_text"] == "Where is order A-1187?"  # the last user message, not the system prompt
    assert row["__reason"] is None
    notes = converted[0].notes
    assert notes["model_calls"] == 1 and notes["unknown_users"] == 1
    assert notes.get("skipped_span_kinds") == skipped
    assert rows(converted, "feedback") == []
    assert [c.kind for c in converted] == ["usage"]


def test_unmapped_service_is_quarantined_with_reason() -> None:
    ctx = make_ctx()
    ctx = Context(settings=ctx.settings, registry=parse_registry({}))
    usage = rows(otel.convert(DATA / "openllmetry_in.json", ctx, {}), "usage")
    assert usage[0]["deployment"] is None
    assert usage[0]["__reason"] == (
        'span 76a26812…: service.name "capture" matches no deployment\'s otel_services and no --deployment was given'
    )


def test_deployment_option_wins_and_is_checked() -> None:
    usage = rows(otel.convert(DATA / "openllmetry_in.json", make_ctx(), {"deployment": "other"}), "usage")
    assert usage[0]["deployment"] == "other" and usage[0]["__reason"] is None
    with pytest.raises(UnknownDeploymentError, match="unknown deployment 'nope'"):
        otel.convert(DATA / "openllmetry_in.json", make_ctx(), {"deployment": "nope"})


@pytest.mark.parametrize(
    ("value", "deployment", "reason"),
    [
        ("other", "other", None),  # the attribute wins over otel_services
        ("nope", None, 'span b7ad6b71…: attribute app.deployment "nope" names no deployment of the registry'),
        (None, "support-triage", None),  # no attribute: otel_services
    ],
)
def test_deployment_tag_attribute(
    tmp_path: Path, value: str | None, deployment: str | None, reason: str | None
) -> None:
    attrs: dict[str, Any] = {"gen_ai.operation.name": S}
    if value is not None:
        attrs["app.deployment"] = {"stringValue": value}
    path = write(tmp_path, request([span(attrs)]))
    row = rows(otel.convert(path, make_ctx(), {"deployment_tag": "app.deployment"}), "usage")[0]
    assert (row["deployment"], row["__reason"]) == (deployment, reason)


def test_service_in_two_deployments_is_quarantined() -> None:
    ctx = make_ctx(second={"otel_services": ["capture"]})
    usage = rows(otel.convert(DATA / "openinference_in.json", ctx, {}), "usage")
    assert (
        usage[0]["__reason"]
        == 'span e9856d6f…: service.name "capture" is in the otel_services of second, support-triage'
    )


def span(attrs: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": fields.pop("spanId", "b7ad6b7169203331"),
        "name": "chat m",
        "kind": 3,
        "startTimeUnixNano": 1_700_000_000_000_000_000,
        "endTimeUnixNano": "1700000000250000000",
        "attributes": [{"key": k, "value": v} for k, v in attrs.items()],
    }
    body.update(fields)
    return body


def request(spans: list[dict[str, Any]], service: str = "capture") -> dict[str, Any]:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    return {
        "resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]
    }


def write(tmp_path: Path, doc: Any, name: str = "traces.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


S = {"stringValue": "chat"}


@pytest.mark.parametrize(
    ("attrs", "is_model", "label"),
    [
        ({"gen_ai.operation.name": "chat"}, True, "chat"),
        ({"gen_ai.operation.name": "text_completion"}, True, "text_completion"),
        ({"gen_ai.operation.name": "generate_content"}, True, "generate_content"),
        ({"gen_ai.operation.name": "embeddings"}, True, "embeddings"),
        ({"gen_ai.operation.name": "execute_tool"}, False, "execute_tool"),
        ({"gen_ai.operation.name": "invoke_agent"}, False, "invoke_agent"),
        ({"openinference.span.kind": "LLM"}, True, "LLM"),
        ({"openinference.span.kind": "CHAIN"}, False, "CHAIN"),
        ({"openinference.span.kind": "TOOL"}, False, "TOOL"),
        ({"llm.request.type": "chat"}, True, "chat"),
        ({"traceloop.span.kind": "workflow"}, False, "workflow"),
        ({"http.method": "GET"}, False, "other"),
    ],
)
def test_classify(attrs: dict[str, Any], is_model: bool, label: str) -> None:
    assert otel.classify(attrs) == (is_model, label)


@pytest.mark.parametrize(
    ("attrs", "status", "expected"),
    [
        # every attribute encoding: intValue as string or number, doubleValue, boolValue, arrayValue
        (
            {
                "gen_ai.operation.name": S,
                "gen_ai.usage.input_tokens": {"intValue": 12},
                "gen_ai.usage.output_tokens": {"intValue": "7"},
                "gen_ai.request.model": {"stringValue": "m1"},
                "gen_ai.request.temperature": {"doubleValue": 0.5},
                "gen_ai.is_streaming": {"boolValue": True},
                "gen_ai.response.finish_reasons": {"arrayValue": {"values": [{"stringValue": "stop"}]}},
                "user.id": {"stringValue": "u-1"},
            },
            {},
            {"input_tokens": "12", "output_tokens": "7", "model": "m1", "outcome": "ok", "user_id": "u-1"},
        ),
        # deprecated token names; enduser.id; status ERROR as a number
        (
            {
                "gen_ai.operation.name": S,
                "gen_ai.usage.prompt_tokens": {"intValue": "3"},
                "gen_ai.usage.completion_tokens": {"intValue": "4"},
                "enduser.id": {"stringValue": "e-9"},
            },
            {"code": 2},
            {"input_tokens": "3", "output_tokens": "4", "outcome": "error", "user_id": "e-9"},
        ),
        # status as an enum name; error.type alone makes an error
        (
            {
                "gen_ai.operation.name": S,
                "error.type": {"stringValue": "timeout"},
                "gen_ai.conversation.id": {"stringValue": "conv-1"},
            },
            {"code": "STATUS_CODE_OK"},
            {"outcome": "error", "user_id": "conv-1"},
        ),
        (
            {"gen_ai.operation.name": S, "session.id": {"stringValue": "s-1"}},
            {"code": "STATUS_CODE_ERROR"},
            {"outcome": "error", "user_id": "s-1"},
        ),
        # a content filter stop is a refusal
        (
            {
                "gen_ai.operation.name": S,
                "gen_ai.response.finish_reasons": {
                    "arrayValue": {"values": [{"stringValue": "content_filter"}]}
                },
            },
            {"code": 1},
            {"outcome": "refused", "user_id": "unknown"},
        ),
        # response model wins over request model; OpenInference token names
        (
            {
                "openinference.span.kind": {"stringValue": "LLM"},
                "llm.model_name": {"stringValue": "oi"},
                "gen_ai.request.model": {"stringValue": "req"},
                "gen_ai.response.model": {"stringValue": "resp"},
                "llm.token_count.prompt": {"intValue": "5"},
                "llm.token_count.completion": {"intValue": "6"},
            },
            {},
            {"model": "resp", "input_tokens": "5", "output_tokens": "6"},
        ),
    ],
)
def test_span_mapping(
    tmp_path: Path, attrs: dict[str, Any], status: dict[str, Any], expected: dict[str, str]
) -> None:
    path = write(tmp_path, request([span(attrs, status=status)]))
    row = rows(otel.convert(path, make_ctx(), {}), "usage")[0]
    assert {k: row[k] for k in expected} == expected
    assert row["latency_ms"] == "250"
    assert row["timestamp"] == "2023-11-14T22:13:20+00:00"


def test_json_lines_snake_case_and_prompt_sources(tmp_path: Path) -> None:
    first = request([span({"gen_ai.operation.name": S, "gen_ai.prompt": {"stringValue": "hello there"}})])
    second_span = {
        "trace_id": "0af7651916cd43dd8448eb211c80319d",
        "span_id": "00f067aa0ba902b7",
        "kind": "SPAN_KIND_CLIENT",
        "start_time_unix_nano": "1700000001000000000",
        "end_time_unix_nano": "1700000001500000000",
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"string_value": "chat"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"int_value": "9"}},
            {"key": "gen_ai.prompt.0.role", "value": {"string_value": "user"}},
            {"key": "gen_ai.prompt.0.content", "value": {"string_value": "indexed question"}},
        ],
    }
    second = {"resource_spans": [{"resource": {"attributes": []}, "scope_spans": [{"spans": [second_span]}]}]}
    path = write(tmp_path, json.dumps(first) + "\n\n" + json.dumps(second) + "\n", "traces.jsonl")
    converted = otel.convert(path, make_ctx(), {"deployment": "other"})
    usage = rows(converted, "usage")
    assert converted[0].format == "jsonl"
    assert [r["request_text"] for r in usage] == ["hello there", "indexed question"]
    assert [r["__line"] for r in usage] == [1, 2]
    assert usage[1]["event_id"] == "0af7651916cd43dd8448eb211c80319d:00f067aa0ba902b7"
    assert usage[1]["input_tokens"] == "9" and usage[1]["latency_ms"] == "500"
    assert converted[0].notes["span_kinds"] == {"CLIENT": 2}


def test_broken_file_is_refused_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(request([])) + "\n{not json\n", "t.jsonl")
    with pytest.raises(AdapterError, match="line 2: not valid JSON"):
        otel.convert(path, make_ctx(), {})
    path = write(tmp_path, {"spans": []}, "wrong.json")
    with pytest.raises(AdapterError, match="resourceSpans"):
        otel.convert(path, make_ctx(), {})


def test_bad_times_are_quarantined(tmp_path: Path) -> None:
    bad = span({"gen_ai.operation.name": S}, startTimeUnixNano="soon")
    backwards = span({"gen_ai.operation.name": S}, spanId="c7ad6b7169203331", endTimeUnixNano="1")
    usage = rows(otel.convert(write(tmp_path, request([bad, backwards])), make_ctx(), {}), "usage")
    assert usage[0]["__reason"] == 'span b7ad6b71…: startTimeUnixNano "soon" is not epoch nanoseconds'
    assert usage[1]["__reason"] == "span c7ad6b71…: endTimeUnixNano is before startTimeUnixNano"


def evaluation(
    name: str, score: Any, label: str | None = None, explanation: str | None = None
) -> dict[str, Any]:
    attrs = [{"key": "gen_ai.evaluation.name", "value": {"stringValue": name}}]
    if score is not None:
        attrs.append({"key": "gen_ai.evaluation.score.value", "value": {"doubleValue": score}})
    if label is not None:
        attrs.append({"key": "gen_ai.evaluation.score.label", "value": {"stringValue": label}})
    if explanation is not None:
        attrs.append({"key": "gen_ai.evaluation.explanation", "value": {"stringValue": explanation}})
    return {"timeUnixNano": "1700000002000000000", "name": "gen_ai.evaluation.result", "attributes": attrs}


def test_evaluation_events_become_feedback(tmp_path: Path) -> None:
    events = [
        {"name": "gen_ai.content.prompt", "timeUnixNano": "1700000000000000000"},
        evaluation("relevance", 4.0, "relevant", "on topic"),
        evaluation("relevance", 2.0),
        evaluation("faithfulness", 0.8, "pass"),
        evaluation("faithfulness", 0.3, "FAIL"),
        evaluation("toxicity", 1.0),
        evaluation("bleu", 37.5, "good"),
    ]
    tool = span(
        {"gen_ai.operation.name": {"stringValue": "execute_tool"}}, spanId="d7ad6b7169203331", events=events
    )
    converted = otel.convert(write(tmp_path, request([tool])), make_ctx(), {})
    assert rows(converted, "usage") == []  # a tool span is no model call ...
    assert converted[0].notes["skipped_span_kinds"] == {"execute_tool": 1}
    feedback = rows(converted, "feedback")  # ... but its evaluation events are feedback
    got = [(r["feedback_id"].rsplit(":", 1)[1], r["rating"], r["thumbs"], r["comment"]) for r in feedback]
    assert got == [
        ("1", "4", None, "on topic"),  # 1-5 scale: as it is
        ("2", "2", None, None),
        ("3", "4", "up", None),  # 0-1 scale: 1 + 4 x 0.8 = 4.2 -> 4
        ("4", "2", "down", None),  # 1 + 4 x 0.3 = 2.2 -> 2
        ("5", None, None, None),  # only 1.0 seen: 1-5 or 0-1 cannot be told apart
        ("6", None, "up", None),  # another scale
    ]
    first = feedback[0]
    assert first["event_id"] == "0af7651916cd43dd8448eb211c80319c:d7ad6b7169203331"
    assert first["feedback_id"] == first["event_id"] + ":1"
    assert first["source"] == "reviewer" and first["deployment"] == "support-triage"
    assert first["timestamp"] == "2023-11-14T22:13:22+00:00"
    fb_notes = next(c.notes for c in converted if c.kind == "feedback")
    assert fb_notes == {"evaluation_events": 6, "scores_without_rating": 2}


@pytest.mark.parametrize(
    ("scores", "scale"),
    [
        ([1.0, 5.0, 3.0], "1-5"),
        ([0.0, 1.0], "0-1"),
        ([0.25], "0-1"),
        ([1.0], None),
        ([1.0, 1.0], None),
        ([2.5, 4.0], None),
        ([0.5, 3.0], None),
        ([10.0], None),
    ],
)
def test_score_scales(scores: list[float], scale: str | None) -> None:
    assert otel.score_scales({"e": scores}) == {"e": scale}


@pytest.mark.parametrize(
    ("score", "scale", "rating"),
    [
        (0.0, "0-1", 1),
        (0.125, "0-1", 2),
        (0.5, "0-1", 3),
        (0.625, "0-1", 4),
        (1.0, "0-1", 5),
        (3.0, "1-5", 3),
    ],
)
def test_rating_for(score: float, scale: str, rating: int) -> None:
    assert otel.rating_for(score, scale) == rating


def test_gzip_and_bom(tmp_path: Path) -> None:
    doc = json.dumps(request([span({"gen_ai.operation.name": S})]))
    path = tmp_path / "traces.json.gz"
    path.write_bytes(gzip.compress(("\ufeff" + doc).encode("utf-8")))
    usage = rows(otel.convert(path, make_ctx(), {}), "usage")
    assert [r["event_id"] for r in usage] == ["0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331"]
