"""The `otel` adapter: OTLP/JSON trace exports (one ExportTraceServiceRequest, a JSON list of them, or
JSON Lines as the collector's file exporter writes) -> usage rows for model-call spans and feedback
rows for `gen_ai.evaluation.result` span events. Mapping and rules: docs/formats.md#otel.

It only converts; validation, redaction, identities and loading belong to the ingest engine.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingest.adapters._common import (
    AdapterError,
    Converted,
    build_table,
    checked_deployment,
    iso_from_epoch_ns,
    plain_decimal,
    read_json_documents,
    short_raw,
    to_staged,
)
from ingest.adapters.otel_values import (
    SPAN_KINDS,
    attributes,
    epoch_nanos,
    field,
    hex_id,
    prompt_text,
    span_kind,
    status_code,
)
from ingest.staged import Staged
from postlaunch.config import Context

USAGE_COLUMNS = (
    "timestamp",
    "deployment",
    "user_id",
    "event_id",
    "request_text",
    "model",
    "input_tokens",
    "output_tokens",
    "latency_ms",
    "outcome",
    "requests",
)
FEEDBACK_COLUMNS = (
    "timestamp",
    "deployment",
    "feedback_id",
    "event_id",
    "source",
    "rating",
    "thumbs",
    "comment",
)

MODEL_OPERATIONS = frozenset(
    {"chat", "text_completion", "generate_content", "embeddings", "completion", "responses"}
)
OPENINFERENCE_MODEL_KINDS = frozenset({"LLM", "EMBEDDING"})
LEGACY_REQUEST_TYPES = frozenset({"chat", "completion", "embedding"})  # OpenLLMetry `llm.request.type`
EVALUATION_EVENT = "gen_ai.evaluation.result"
THUMBS = {
    **dict.fromkeys(
        ("good", "pass", "passed", "positive", "correct", "yes", "true", "thumbs_up", "up"), "up"
    ),
    **dict.fromkeys(
        ("bad", "fail", "failed", "negative", "incorrect", "no", "false", "thumbs_down", "down"), "down"
    ),
}
REFUSAL_REASONS = frozenset({"content_filter", "refusal", "safety"})
SPAN_KIND_NAMES = {number: name.removeprefix("SPAN_KIND_") for name, number in SPAN_KINDS.items()}


@dataclass
class SpanRef:
    """One span with what every row made from it needs."""

    ordinal: int
    trace_id: str
    span_id: str
    span: dict[str, Any]
    attrs: dict[str, Any]
    service: str | None
    deployment: str | None
    reason: str | None

    @property
    def event_id(self) -> str:
        return f"{self.trace_id}:{self.span_id}"

    @property
    def label(self) -> str:
        return f"span {self.span_id[:8]}…" if len(self.span_id) > 8 else f"span {self.span_id}"


def classify(attrs: dict[str, Any]) -> tuple[bool, str]:
    """(is it a model call?, the kind it was recognised by) for one span's attributes."""
    operation = attrs.get("gen_ai.operation.name")
    if isinstance(operation, str) and operation:
        return operation.lower() in MODEL_OPERATIONS, operation
    oi_kind = attrs.get("openinference.span.kind")
    if isinstance(oi_kind, str) and oi_kind:
        return oi_kind.upper() in OPENINFERENCE_MODEL_KINDS, oi_kind
    request_type = attrs.get("llm.request.type")
    if isinstance(request_type, str) and request_type:
        return request_type.lower() in LEGACY_REQUEST_TYPES, request_type
    traceloop = attrs.get("traceloop.span.kind")
    if isinstance(traceloop, str) and traceloop:
        return False, traceloop
    return False, "other"


def _first(attrs: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = attrs.get(key)
        if value not in (None, ""):
            return value
    return None


class _Deployments:
    """A span's deployment: `--deployment`, else the attribute named by `--deployment-tag`, else the
    registry deployment whose otel_services lists the resource's service.name."""

    def __init__(self, ctx: Context, options: dict[str, Any]) -> None:
        self.fixed = checked_deployment(ctx, options)
        self.tag = str(options["deployment_tag"]) if options.get("deployment_tag") else None
        self.known = set(ctx.registry.ids)
        self.by_service: dict[str, list[str]] = defaultdict(list)
        for dep_id, deployment in ctx.registry.deployments.items():
            for service in deployment.otel_services:
                self.by_service[service].append(dep_id)

    def resolve(
        self, service: str | None, attrs: dict[str, Any], label: str
    ) -> tuple[str | None, str | None]:
        if self.fixed:
            return self.fixed, None
        tagged = attrs.get(self.tag) if self.tag else None
        if tagged not in (None, ""):
            if str(tagged) in self.known:
                return str(tagged), None
            return None, f'{label}: attribute {self.tag} "{tagged}" names no deployment of the registry'
        if service is None:
            return None, f"{label}: the resource has no service.name and no --deployment was given"
        matches = sorted(self.by_service.get(service, []))
        if len(matches) == 1:
            return matches[0], None
        if not matches:
            return None, (
                f'{label}: service.name "{service}" matches no deployment\'s otel_services '
                "and no --deployment was given"
            )
        return None, f'{label}: service.name "{service}" is in the otel_services of {", ".join(matches)}'


def iter_spans(path: Path, ctx: Context, options: dict[str, Any]) -> tuple[str, list[SpanRef]]:
    """Every span in the file, in file order, with its resource's deployment (or why it has none)."""
    fmt, documents = read_json_documents(path)
    deployments = _Deployments(ctx, options)
    spans: list[SpanRef] = []
    for line, document in documents:
        resource_spans = field(document, "resourceSpans")
        if not isinstance(resource_spans, list):
            raise AdapterError(
                f"line {line}: expected an OTLP/JSON ExportTraceServiceRequest with `resourceSpans`"
            )
        for resource_span in resource_spans:
            resource = attributes(field(field(resource_span, "resource") or {}, "attributes"))
            service = resource.get("service.name")
            service = str(service) if service not in (None, "") else None
            scopes = (
                field(resource_span, "scopeSpans")
                or field(resource_span, "instrumentationLibrarySpans")
                or []
            )
            for scope in scopes:
                for span in field(scope, "spans") or []:
                    attrs = {**resource, **attributes(field(span, "attributes"))}
                    ref = SpanRef(
                        ordinal=len(spans) + 1,
                        trace_id=hex_id(field(span, "traceId")),
                        span_id=hex_id(field(span, "spanId")),
                        span=span,
                        attrs=attrs,
                        service=service,
                        deployment=None,
                        reason=None,
                    )
                    ref.deployment, ref.reason = deployments.resolve(service, attrs, ref.label)
                    spans.append(ref)
    return fmt, spans


def _span_raw(ref: SpanRef) -> str:
    span = {k: v for k, v in ref.span.items() if k not in ("attributes", "events", "links")}
    return short_raw({"service.name": ref.service, **span, "attributes": ref.attrs})


def usage_row(ref: SpanRef, notes: Counter[str]) -> dict[str, Any]:
    """One usage row from a model-call span."""
    attrs, span = ref.attrs, ref.span
    reasons = [ref.reason] if ref.reason else []
    start = epoch_nanos(field(span, "startTimeUnixNano"))
    end = epoch_nanos(field(span, "endTimeUnixNano"))
    latency = None
    if start is None:
        reasons.append(
            f'{ref.label}: startTimeUnixNano "{field(span, "startTimeUnixNano")}" is not epoch nanoseconds'
        )
    elif end is not None:
        if end < start:
            reasons.append(f"{ref.label}: endTimeUnixNano is before startTimeUnixNano")
        else:
            latency = plain_decimal(Decimal(end - start) / Decimal(1_000_000))
    user = _first(attrs, "user.id", "enduser.id")
    if user is None:
        user = _first(attrs, "gen_ai.conversation.id", "session.id")
        if user is None:
            notes["unknown_users"] += 1
            user = "unknown"
        else:
            notes["users_from_conversation"] += 1
    finish = attrs.get("gen_ai.response.finish_reasons") or attrs.get("llm.finish_reason")
    finish_set = {str(f).lower() for f in (finish if isinstance(finish, list) else [finish]) if f}
    if status_code(span) == 2 or _first(attrs, "error.type") is not None:
        outcome = "error"
    elif finish_set & REFUSAL_REASONS:
        outcome = "refused"
    else:
        outcome = "ok"
    events = field(span, "events") or []
    return {
        "timestamp": iso_from_epoch_ns(start) if start is not None else None,
        "deployment": ref.deployment,
        "user_id": str(user),
        "event_id": ref.event_id,
        "request_text": prompt_text(attrs, events),
        "model": _first(attrs, "gen_ai.response.model", "gen_ai.request.model", "llm.model_name"),
        "input_tokens": _first(
            attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt"
        ),
        "output_tokens": _first(
            attrs,
            "gen_ai.usage.output_tokens",
            "gen_ai.usage.completion_tokens",
            "llm.token_count.completion",
        ),
        "latency_ms": latency,
        "outcome": outcome,
        "requests": "1",
        "__line": ref.ordinal,
        "__raw": _span_raw(ref),
        "__reason": "; ".join(reasons) or None,
    }


def score_scales(scores: dict[str, list[float]]) -> dict[str, str | None]:
    """Per evaluation name: `1-5` when every score is an integer 1-5 and one is above 1, `0-1` when
    every score is within 0-1 and one is below 1, None otherwise (ambiguous or another scale)."""
    scales: dict[str, str | None] = {}
    for name, values in scores.items():
        if all(v == int(v) and 1 <= v <= 5 for v in values) and any(v > 1 for v in values):
            scales[name] = "1-5"
        elif all(0 <= v <= 1 for v in values) and any(v < 1 for v in values):
            scales[name] = "0-1"
        else:
            scales[name] = None
    return scales


def rating_for(score: float, scale: str | None) -> int | None:
    """A 1-5 rating: a 1-5 score as it is; a 0-1 score as 1 + 4 x score, rounded half up."""
    if scale == "1-5":
        return int(score)
    if scale == "0-1":
        return int(Decimal(1 + 4 * score).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def feedback_rows(spans: list[SpanRef], notes: Counter[str]) -> list[dict[str, Any]]:
    """Feedback rows from every `gen_ai.evaluation.result` event, with the rating scale read per name."""
    found: list[tuple[SpanRef, int, dict[str, Any], dict[str, Any]]] = []
    scores: dict[str, list[float]] = defaultdict(list)
    for ref in spans:
        for index, event in enumerate(field(ref.span, "events") or []):
            if field(event, "name") != EVALUATION_EVENT:
                continue
            attrs = attributes(field(event, "attributes"))
            found.append((ref, index, event, attrs))
            score = _number(attrs.get("gen_ai.evaluation.score.value"))
            if score is not None:
                scores[str(attrs.get("gen_ai.evaluation.name") or "")].append(score)
    scales = score_scales(scores)
    rows = []
    for ref, index, event, attrs in found:
        name = str(attrs.get("gen_ai.evaluation.name") or "")
        score = _number(attrs.get("gen_ai.evaluation.score.value"))
        rating = rating_for(score, scales.get(name)) if score is not None else None
        if score is not None and rating is None:
            notes["scores_without_rating"] += 1
        label = attrs.get("gen_ai.evaluation.score.label")
        thumbs = THUMBS.get(str(label).strip().lower()) if label is not None else None
        reasons = [ref.reason] if ref.reason else []
        nanos = epoch_nanos(field(event, "timeUnixNano")) or epoch_nanos(field(ref.span, "startTimeUnixNano"))
        if nanos is None:
            reasons.append(
                f"{ref.label}: event {index} has no timeUnixNano and the span no startTimeUnixNano"
            )
        rows.append(
            {
                "timestamp": iso_from_epoch_ns(nanos) if nanos is not None else None,
                "deployment": ref.deployment,
                "feedback_id": f"{ref.event_id}:{index}",
                "event_id": ref.event_id,
                "source": "reviewer",
                "rating": rating,
                "thumbs": thumbs,
                "comment": attrs.get("gen_ai.evaluation.explanation"),
                "__line": ref.ordinal,
                "__raw": short_raw(
                    {"span": ref.event_id, "event": index, "service.name": ref.service, **attrs}
                ),
                "__reason": "; ".join(reasons) or None,
            }
        )
    return rows


def convert(path: Path, ctx: Context, options: dict[str, Any]) -> list[Converted]:
    """Usage rows (always, even when empty, so the run and its notes are recorded) and feedback rows
    (only when the file has evaluation events)."""
    fmt, spans = iter_spans(path, ctx, options)
    usage_notes: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    usage = []
    for ref in spans:
        is_model, kind = classify(ref.attrs)
        if is_model:
            usage.append(usage_row(ref, usage_notes))
        else:
            skipped[kind] += 1
    notes: dict[str, Any] = {
        "spans": len(spans),
        "model_calls": len(usage),
        "skipped_spans": sum(skipped.values()),
        "unknown_users": usage_notes["unknown_users"],
    }
    if skipped:
        notes["skipped_span_kinds"] = dict(sorted(skipped.items()))
    if usage_notes["users_from_conversation"]:
        notes["users_from_conversation"] = usage_notes["users_from_conversation"]
    span_kinds = Counter(SPAN_KIND_NAMES.get(span_kind(ref.span), "UNSPECIFIED") for ref in spans)
    notes["span_kinds"] = dict(sorted(span_kinds.items()))
    out = [Converted("usage", fmt, build_table(USAGE_COLUMNS, usage), notes)]
    feedback_notes: Counter[str] = Counter()
    feedback = feedback_rows(spans, feedback_notes)
    if feedback:
        fb_notes: dict[str, Any] = {"evaluation_events": len(feedback)}
        if feedback_notes["scores_without_rating"]:
            fb_notes["scores_without_rating"] = feedback_notes["scores_without_rating"]
        out.append(Converted("feedback", fmt, build_table(FEEDBACK_COLUMNS, feedback), fb_notes))
    return out


class OtelAdapter:
    name = "otel"
    kinds = ("usage", "feedback")
    blank_file_ok = True  # a file exporter that saw no spans writes nothing: a quiet day, not an error

    def read(self, path: Path, ctx: Context, options: dict[str, Any]) -> list[Staged]:
        return to_staged(path, self.name, convert(path, ctx, options))
