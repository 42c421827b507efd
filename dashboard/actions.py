"""The dashboard's two writes, through the same code paths as the commands: recording a decision
(`postlaunch.decisions.record_decision`, as `postlaunch decide`) and loading uploaded files
(`ingest.engine.ingest_paths`, as `postlaunch ingest`). Each opens its own short-lived connection.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, is_dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postlaunch import db as pdb
from postlaunch.errors import UsageError

if TYPE_CHECKING:
    from ingest.mapping import Mapping

ADAPTER_HELP = {
    "otel": "OpenTelemetry GenAI spans (OTLP/JSON) → usage and feedback",
    "focus": "FOCUS 1.0-1.2 cloud cost export → cost",
    "openai-usage": "OpenAI organization usage export → usage",
    "openai-costs": "OpenAI organization costs export → cost",
    "anthropic-usage": "Anthropic usage report export → usage",
    "anthropic-costs": "Anthropic cost report export → cost",
}
KIND_HELP = {
    "usage": "one AI request per row",
    "cost": "money spent",
    "feedback": "ratings, thumbs, acceptance, comments",
    "incidents": "incidents and their updates",
    "changes": "model, prompt, policy changes",
}


def ingest_choices() -> dict[str, str]:
    """Contract kinds, then the adapters ingest knows, each with a short description."""
    from ingest.adapters import ADAPTERS
    from ingest.kinds import KINDS

    choices = {name: KIND_HELP.get(name, kind.doc or name) for name, kind in KINDS.items()}
    for name in sorted(ADAPTERS):
        choices[name] = ADAPTER_HELP.get(name, "adapter")
    return choices


def parse_mapping(text: str) -> Mapping | None:
    """`a=b, c=d` as the command's `--map a=b --map c=d` (the same parser, the same messages)."""
    from ingest.mapping import parse_map_args

    pairs = [p.strip() for p in (text or "").replace("\n", ",").split(",") if p.strip()]
    return parse_map_args(pairs) if pairs else None


def _plain(result: Any) -> dict[str, Any]:
    raw = asdict(result) if is_dataclass(result) and not isinstance(result, type) else dict(vars(result))
    reasons = raw.get("reasons") or {}
    if isinstance(reasons, dict):
        reasons_text = "; ".join(f"{k} ({v})" for k, v in list(reasons.items())[:5])
    else:
        reasons_text = "; ".join(str(r) for r in list(reasons)[:5])
    return {
        "file": Path(str(raw.get("file", ""))).name,
        "kind": raw.get("kind"),
        "rows": raw.get("rows", 0),
        "loaded": raw.get("loaded", 0),
        "duplicates": raw.get("duplicates", 0),
        "quarantined": raw.get("quarantined", 0),
        "status": raw.get("status"),
        "message": raw.get("message") or "",
        "reasons": reasons_text,
        "extra_columns": ", ".join(raw.get("extra_columns") or []),
    }


def ingest_upload(
    kind: str, name: str, content: bytes, mapping: Mapping | None = None, strict: bool = False
) -> list[dict[str, Any]]:
    """Write an uploaded file under its own name into a temporary folder and ingest it."""
    from dashboard import state
    from ingest.engine import ingest_paths
    from ingest.scope.place import place_pending

    ctx = state.context()
    safe = Path(name).name or "upload"
    with tempfile.TemporaryDirectory(prefix="postlaunch-upload-") as folder:
        path = Path(folder) / safe
        path.write_bytes(content)
        results = ingest_paths(ctx, kind, [path], mapping=mapping, strict=strict, progress=False)
    place_pending(ctx)  # as `postlaunch ingest` does: place unlabeled requests against the approved use
    return [_plain(r) for r in results]


def record_decision(
    deployment: str,
    week: str,
    decision: str,
    rationale: str,
    decided_by: str,
    attendees: list[str],
    actions: str | None,
    next_review: date | None,
    snapshot: dict[str, Any] | None = None,
) -> Any:
    """Append a decision to the log (refuses an empty rationale etc. with a UsageError)."""
    from dashboard import state
    from postlaunch.decisions import record_decision as record

    ctx = state.context()
    if not rationale or not rationale.strip():
        raise UsageError("The rationale is empty: say why, in a sentence the next review can read.")
    with pdb.connect(ctx.settings.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        return record(
            conn,
            ctx,
            deployment=deployment,
            week=week,
            decision=decision,
            rationale=rationale,
            decided_by=decided_by,
            attendees=attendees,
            actions=actions,
            next_review=next_review,
            snapshot=snapshot,
        )
