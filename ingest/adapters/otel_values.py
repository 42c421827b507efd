"""Decoding OTLP/JSON: attribute values in every encoding, field names in camelCase or snake_case,
span kind and status code as numbers or enum names, and the prompt text of a model call.

Pure functions over parsed JSON; no rows, no registry, no database.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

STATUS_CODES = {
    "STATUS_CODE_UNSET": 0,
    "STATUS_CODE_OK": 1,
    "STATUS_CODE_ERROR": 2,
    "UNSET": 0,
    "OK": 1,
    "ERROR": 2,
}
SPAN_KINDS = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
}
_INDEXED = re.compile(r"^(?P<prefix>.+?)\.(?P<index>\d+)\.(?P<rest>.+)$")


def field(obj: Any, name: str) -> Any:
    """`obj[name]` for a camelCase OTLP field, also accepting its snake_case spelling (protobuf JSON)."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
    return obj.get(snake)


def any_value(value: Any) -> Any:
    """A Python value from an OTLP `AnyValue` (`{"intValue": "412"}` -> 412)."""
    if not isinstance(value, dict):
        return value
    for key, inner in value.items():
        kind = key.replace("_", "").lower()
        if kind == "stringvalue":
            return inner
        if kind == "intvalue":
            try:
                return int(inner)
            except (TypeError, ValueError):
                return inner
        if kind == "doublevalue":
            try:
                return float(inner)
            except (TypeError, ValueError):
                return inner
        if kind == "boolvalue":
            return inner if isinstance(inner, bool) else str(inner).lower() == "true"
        if kind == "arrayvalue":
            return [any_value(item) for item in (field(inner, "values") or [])]
        if kind == "kvlistvalue":
            return attributes(field(inner, "values"))
        if kind == "bytesvalue":
            return inner
    return None


def attributes(items: Any) -> dict[str, Any]:
    """OTLP `[{"key": ..., "value": {...}}]` as a dict; a later repeat of a key wins."""
    out: dict[str, Any] = {}
    for item in items or []:
        if isinstance(item, dict) and "key" in item:
            out[str(item["key"])] = any_value(item.get("value"))
    return out


def status_code(span: dict[str, Any]) -> int:
    """0 unset, 1 ok, 2 error; unknown names and values count as unset."""
    code = field(field(span, "status") or {}, "code")
    if isinstance(code, str):
        if code.isdigit():
            return int(code)
        return STATUS_CODES.get(code.upper(), 0)
    return code if isinstance(code, int) else 0


def span_kind(span: dict[str, Any]) -> int:
    kind = field(span, "kind")
    if isinstance(kind, str):
        return int(kind) if kind.isdigit() else SPAN_KINDS.get(kind.upper(), 0)
    return kind if isinstance(kind, int) else 0


def hex_id(value: Any) -> str:
    """A trace or span id as lower-case hex; OTLP/JSON writes hex, protobuf JSON writes base64."""
    text = str(value or "")
    if re.fullmatch(r"[0-9a-fA-F]+", text) and len(text) in (16, 32):
        return text.lower()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text
    return raw.hex() if len(raw) in (8, 16) else text


def epoch_nanos(value: Any) -> int | None:
    """Nanoseconds from a `...UnixNano` field (string or number); None when absent, zero or not an integer."""
    if value is None or isinstance(value, bool):
        return None
    try:
        nanos = int(str(value))
    except ValueError:
        return None
    return nanos or None


def _indexed_messages(
    attrs: dict[str, Any], prefix: str, role_key: str, content_key: str
) -> list[dict[str, Any]]:
    """Messages flattened into indexed keys (`llm.input_messages.1.message.content`)."""
    found: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        match = _INDEXED.match(key)
        if not match or match["prefix"] != prefix:
            continue
        entry = found.setdefault(int(match["index"]), {})
        if match["rest"] == role_key:
            entry["role"] = value
        elif match["rest"] == content_key:
            entry["content"] = value
    return [found[i] for i in sorted(found)]


def _message_text(message: Any) -> str | None:
    if not isinstance(message, dict):
        return None
    content = message.get("content")
    if isinstance(content, str):
        return content
    parts = message.get("parts") if isinstance(message.get("parts"), list) else content
    if isinstance(parts, list):
        texts = [
            str(part.get("content") or part.get("text") or "")
            for part in parts
            if isinstance(part, dict) and part.get("type", "text") == "text"
        ]
        text = "\n".join(t for t in texts if t)
        return text or None
    return None


def _last_user_text(messages: Any) -> str | None:
    if not isinstance(messages, list):
        return None
    users = [m for m in messages if isinstance(m, dict) and m.get("role") in ("user", "human")]
    for message in reversed(users or []):
        text = _message_text(message)
        if text:
            return text
    return None


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def prompt_text(attrs: dict[str, Any], events: list[dict[str, Any]]) -> str | None:
    """The user's request of a model call: the last user message, from the first source that has one
    (gen_ai.input.messages, gen_ai.prompt[.N], llm.input_messages.N, input.value, gen_ai.user.message events)."""
    found = _last_user_text(_json(attrs.get("gen_ai.input.messages")))
    if found:
        return found
    prompt = attrs.get("gen_ai.prompt")
    if isinstance(prompt, str) and prompt.strip():
        parsed = _json(prompt)
        return _last_user_text(parsed) or (prompt if parsed is None or isinstance(parsed, str) else None)
    for prefix, role_key, content_key in (
        ("gen_ai.prompt", "role", "content"),
        ("llm.input_messages", "message.role", "message.content"),
    ):
        found = _last_user_text(_indexed_messages(attrs, prefix, role_key, content_key))
        if found:
            return found
    value = attrs.get("input.value")
    if isinstance(value, str) and value.strip():
        parsed = _json(value)
        if isinstance(parsed, dict):
            found = _last_user_text(parsed.get("messages"))
            if found:
                return found
        elif parsed is None or isinstance(parsed, str):
            return value
    for event in events:
        if field(event, "name") == "gen_ai.user.message":
            text = attributes(field(event, "attributes")).get("content")
            if isinstance(text, str) and text:
                return text
    return None
