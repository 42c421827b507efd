"""The `openai-usage`, `openai-costs`, `anthropic-usage` and `anthropic-costs` adapters: the JSON the
organization usage and cost APIs return (a page, a JSON list of pages, or JSON Lines of pages) ->
one aggregated usage row per bucket and group, or one cost row per bucket and line item, for the
deployment `--deployment` names or the registry maps the result's project/workspace to.
See docs/formats.md#openai-and-anthropic-organization-apis.

They only convert; validation, identities and loading belong to the ingest engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ingest.adapters._common import (
    AdapterError,
    Converted,
    build_table,
    checked_deployment,
    iso_from_epoch_seconds,
    plain_decimal,
    read_json_documents,
    short_raw,
    to_staged,
)
from ingest.staged import Staged
from postlaunch.config import Context
from postlaunch.errors import UsageError

USAGE_COLUMNS = (
    "timestamp",
    "deployment",
    "user_id",
    "event_id",
    "model",
    "input_tokens",
    "output_tokens",
    "requests",
)
COST_COLUMNS = ("date", "deployment", "amount", "category", "currency", "description")

# The first of these a result carries is its user_id (most specific identity first).
OPENAI_USER_KEYS = ("user_id", "api_key_id", "project_id")
ANTHROPIC_USER_KEYS = ("account_id", "service_account_id", "api_key_id", "workspace_id")
# Group-by dimensions that make a result distinct within its bucket (its event_id).
OPENAI_GROUP_KEYS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
ANTHROPIC_GROUP_KEYS = (
    "workspace_id",
    "api_key_id",
    "account_id",
    "service_account_id",
    "model",
    "service_tier",
    "context_window",
    "inference_geo",
    "speed",
)

Row = dict[str, Any]


def iter_results(path: Path) -> tuple[str, Iterator[tuple[int, dict[str, Any], dict[str, Any]]]]:
    """(format, (ordinal, bucket, result) for every result of every bucket of every page, in file order)."""
    fmt, documents = read_json_documents(path)

    def buckets(document: Any, line: int) -> list[dict[str, Any]]:
        if isinstance(document, dict) and isinstance(document.get("data"), list):
            return [b for b in document["data"] if isinstance(b, dict)]
        if isinstance(document, dict) and any(k in document for k in ("start_time", "starting_at")):
            return [document]
        raise AdapterError(
            f"line {line}: expected a usage or cost API page (an object with `data`, a list of buckets)"
        )

    def walk() -> Iterator[tuple[int, dict[str, Any], dict[str, Any]]]:
        ordinal = 0
        for line, document in documents:
            for bucket in buckets(document, line):
                results = bucket.get("results", bucket.get("result")) or []
                for result in results:
                    ordinal += 1
                    yield ordinal, bucket, result if isinstance(result, dict) else {"value": result}

    return fmt, walk()


UNATTRIBUTED_IDS_SHOWN = 10  # distinct unknown project/workspace ids kept in a run's notes
NO_ID = "<none>"  # the notes' name for results that carry no project/workspace id


class Unattributed:
    """Results no deployment claims: counted (by their project/workspace id) and, for costs, summed in
    the reporting currency; never staged."""

    def __init__(self, id_field: str, ctx: Context) -> None:
        self.id_field, self.settings = id_field, ctx.settings
        self.rows = self.unpriced = 0
        self.amount = Decimal(0)
        self.ids: Counter[str] = Counter()

    def add(self, row: Row, scope_id: str | None) -> None:
        self.rows += 1
        self.ids[scope_id or NO_ID] += 1
        if "amount" not in row:
            return
        currency = row.get("currency")
        rate = 1.0 if currency == self.settings.currency else self.settings.currency_rates.get(str(currency))
        try:
            amount = Decimal(str(row["amount"]))
        except (InvalidOperation, ValueError):
            amount = Decimal("NaN")
        if rate is None or not amount.is_finite():
            self.unpriced += 1
        else:
            self.amount += amount * Decimal(str(rate))

    def notes(self, costs: bool) -> dict[str, Any]:
        shown = dict(list(self.ids.items())[:UNATTRIBUTED_IDS_SHOWN])
        out: dict[str, Any] = {"unattributed_rows": self.rows, f"unattributed_{self.id_field}s": shown}
        if costs:
            out["unattributed_amount"] = round(float(self.amount), 6)
            out["unattributed_currency"] = self.settings.currency
            if self.unpriced:
                out["unattributed_unpriced_rows"] = self.unpriced
        return out


def _scope_id(result: dict[str, Any], id_field: str) -> str | None:
    value = result.get(id_field)
    return None if value in (None, "") else str(value)


def _user(result: dict[str, Any], keys: tuple[str, ...], notes: Counter[str]) -> str:
    for key in keys:
        if result.get(key) not in (None, ""):
            return str(result[key])
    notes["unknown_users"] += 1
    return "unknown"


def _event_id(prefix: str, start: Any, result: dict[str, Any], keys: tuple[str, ...]) -> str:
    return ":".join([prefix, str(start)] + ["" if result.get(k) is None else str(result[k]) for k in keys])


def _bucket_start(bucket: dict[str, Any], key: str) -> tuple[str | None, str | None]:
    """(ISO start, reason): OpenAI writes epoch seconds, Anthropic RFC 3339 text."""
    value = bucket.get(key)
    if key == "start_time":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return iso_from_epoch_seconds(value), None
        if isinstance(value, str) and value.strip().isdigit():
            return iso_from_epoch_seconds(int(value)), None
        return None, f'bucket start_time "{value}" is not epoch seconds'
    if isinstance(value, str) and value.strip():
        return value.strip(), None
    return None, "the bucket has no starting_at"


def _tokens(*values: Any) -> str | None:
    """Sum of token counts; None when none is given; a value that is not a number is passed on as it is."""
    given = [v for v in values if v is not None]
    if not given:
        return None
    try:
        return str(sum(int(v) for v in given))
    except (TypeError, ValueError):
        return ",".join(str(v) for v in given)


def openai_usage_row(
    ordinal: int, bucket: dict[str, Any], result: dict[str, Any], deployment: str, notes: Counter[str]
) -> Row | None:
    if "num_model_requests" not in result:
        notes["skipped_results"] += 1  # vector store bytes, code interpreter sessions: not model requests
        return None
    start, reason = _bucket_start(bucket, "start_time")
    kind = (
        str(result.get("object", "")).removeprefix("organization.usage.").removesuffix(".result") or "usage"
    )
    return {
        "timestamp": start,
        "deployment": deployment,
        "user_id": _user(result, OPENAI_USER_KEYS, notes),
        "event_id": _event_id(f"openai-{kind}", bucket.get("start_time"), result, OPENAI_GROUP_KEYS),
        "model": result.get("model"),
        "input_tokens": _tokens(result.get("input_tokens")),
        "output_tokens": _tokens(result.get("output_tokens")),
        "requests": result.get("num_model_requests"),
        "__line": ordinal,
        "__raw": short_raw({"start_time": bucket.get("start_time"), **result}),
        "__reason": reason,
    }


def anthropic_usage_row(
    ordinal: int, bucket: dict[str, Any], result: dict[str, Any], deployment: str, notes: Counter[str]
) -> Row | None:
    start, reason = _bucket_start(bucket, "starting_at")
    nested = result.get("cache_creation")
    creation: dict[str, Any] = nested if isinstance(nested, dict) else {}
    notes["requests_unknown"] += 1
    return {
        "timestamp": start,
        "deployment": deployment,
        "user_id": _user(result, ANTHROPIC_USER_KEYS, notes),
        "event_id": _event_id("anthropic-messages", bucket.get("starting_at"), result, ANTHROPIC_GROUP_KEYS),
        "model": result.get("model"),
        "input_tokens": _tokens(
            result.get("uncached_input_tokens"),
            result.get("cache_read_input_tokens"),
            creation.get("ephemeral_5m_input_tokens", result.get("cache_creation_5m_input_tokens")),
            creation.get("ephemeral_1h_input_tokens", result.get("cache_creation_1h_input_tokens")),
            result.get("cache_creation_input_tokens"),
        ),
        "output_tokens": _tokens(result.get("output_tokens")),
        "requests": "1",
        "__line": ordinal,
        "__raw": short_raw({"starting_at": bucket.get("starting_at"), **result}),
        "__reason": reason,
    }


def _describe(*parts: Any, scope: tuple[str, Any] | None = None) -> str | None:
    text = ", ".join(str(p) for p in parts if p not in (None, ""))
    if scope and scope[1] not in (None, ""):
        text = f"{text} ({scope[0]} {scope[1]})" if text else f"{scope[0]} {scope[1]}"
    return text or None


def openai_cost_row(
    ordinal: int, bucket: dict[str, Any], result: dict[str, Any], deployment: str, notes: Counter[str]
) -> Row | None:
    start, reason = _bucket_start(bucket, "start_time")
    given = result.get("amount")
    amount: dict[str, Any] = given if isinstance(given, dict) else {"value": given}
    currency = amount.get("currency")
    return {
        "date": start[:10] if start else None,
        "deployment": deployment,
        "amount": plain_decimal(amount.get("value")),
        "category": "usage",
        "currency": str(currency).upper() if currency else None,
        "description": _describe(
            result.get("line_item") or "OpenAI API", scope=("project", result.get("project_id"))
        ),
        "__line": ordinal,
        "__raw": short_raw({"start_time": bucket.get("start_time"), **result}),
        "__reason": reason,
    }


def anthropic_cost_row(
    ordinal: int, bucket: dict[str, Any], result: dict[str, Any], deployment: str, notes: Counter[str]
) -> Row | None:
    start, reason = _bucket_start(bucket, "starting_at")
    reasons = [reason] if reason else []
    cents = result.get("amount")
    try:
        dollars: str | None = plain_decimal(Decimal(str(cents).strip()) / 100)
    except (InvalidOperation, ValueError):
        dollars = None if cents is None else str(cents)
        reasons.append(f'amount "{cents}" is not a decimal string of cents')
    currency = result.get("currency")
    description = _describe(
        result.get("description")
        or _describe(result.get("cost_type"), result.get("model"), result.get("token_type")),
        scope=("workspace", result.get("workspace_id")),
    )
    return {
        "date": start[:10] if start else None,
        "deployment": deployment,
        "amount": dollars,
        "category": "usage",
        "currency": str(currency).upper() if currency else None,
        "description": description,
        "__line": ordinal,
        "__raw": short_raw({"starting_at": bucket.get("starting_at"), **result}),
        "__reason": "; ".join(reasons) or None,
    }


class VendorAdapter:
    """One of the four API exports: a name, the kind it yields, its per-result conversion, and the
    result field (`project_id`, `workspace_id`) the registry key (`openai_projects`,
    `anthropic_workspaces`) maps to deployments."""

    blank_file_ok = True  # a scheduled export of a day without requests may be an empty file

    def __init__(
        self,
        name: str,
        kind: str,
        columns: tuple[str, ...],
        row: Callable[[int, dict[str, Any], dict[str, Any], str, Counter[str]], Row | None],
        id_field: str,
        registry_key: str,
    ) -> None:
        self.name, self.kind, self.columns, self.row = name, kind, columns, row
        self.id_field, self.registry_key = id_field, registry_key
        self.kinds = (kind,)

    def owners(self, ctx: Context, options: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
        """(--deployment, {}) when given, else (None, project/workspace id -> deployment) from the
        registry; neither is refused, naming both ways to attribute."""
        fixed = checked_deployment(ctx, options)
        if fixed is not None:
            return fixed, {}
        owners = {
            scope_id: dep_id
            for dep_id, deployment in ctx.registry.deployments.items()
            for scope_id in getattr(deployment, self.registry_key)
        }
        if not owners:
            raise UsageError(
                f"{self.name} exports name no deployment: give --deployment ID "
                f"(known: {', '.join(ctx.registry.ids) or 'none'}), or list the export's {self.id_field} "
                f"values under {self.registry_key} of a deployment in the registry"
            )
        return None, owners

    def convert(self, path: Path, ctx: Context, options: dict[str, Any]) -> list[Converted]:
        fixed, owners = self.owners(ctx, options)
        fmt, results = iter_results(path)
        counts: Counter[str] = Counter()
        unattributed = Unattributed(self.id_field, ctx)
        rows: list[Row] = []
        for ordinal, bucket, result in results:
            scope_id = _scope_id(result, self.id_field)
            deployment = fixed or owners.get(scope_id or "")
            if deployment is not None:
                if (row := self.row(ordinal, bucket, result, deployment, counts)) is not None:
                    rows.append(row)
                continue
            scratch: Counter[str] = Counter()  # an unattributed row's unknown users etc. are not the run's
            if (row := self.row(ordinal, bucket, result, "", scratch)) is None:
                counts["skipped_results"] += scratch["skipped_results"]
            else:
                unattributed.add(row, scope_id)
        notes: dict[str, Any] = {
            "attribution": f"--deployment {fixed}" if fixed else f"registry {self.registry_key}",
            "results": len(rows) + counts["skipped_results"] + unattributed.rows,
        }
        notes.update({k: v for k, v in sorted(counts.items()) if v})
        if fixed is None:
            notes.update(unattributed.notes(costs=self.kind == "cost"))
        return [Converted(self.kind, fmt, build_table(self.columns, rows), notes)]

    def read(self, path: Path, ctx: Context, options: dict[str, Any]) -> list[Staged]:
        return to_staged(path, self.name, self.convert(path, ctx, options))


OPENAI = ("project_id", "openai_projects")
ANTHROPIC = ("workspace_id", "anthropic_workspaces")
OPENAI_USAGE = VendorAdapter("openai-usage", "usage", USAGE_COLUMNS, openai_usage_row, *OPENAI)
OPENAI_COSTS = VendorAdapter("openai-costs", "cost", COST_COLUMNS, openai_cost_row, *OPENAI)
ANTHROPIC_USAGE = VendorAdapter("anthropic-usage", "usage", USAGE_COLUMNS, anthropic_usage_row, *ANTHROPIC)
ANTHROPIC_COSTS = VendorAdapter("anthropic-costs", "cost", COST_COLUMNS, anthropic_cost_row, *ANTHROPIC)
