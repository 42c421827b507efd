"""The dashboard's writes, through the same code paths as the commands: recording a decision
(`actions.decide.record_decision`, as `postlaunch decide`), ticking who was told of a pause
(`actions.pause`, as `postlaunch notified`), a readiness record (`actions.readiness`) and loading
uploaded files (`ingest.pipeline.ingest_and_place`, as `postlaunch ingest`). Each opens its own
short-lived connection.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any

from actions import decide, pause, readiness
from dashboard import state
from ingest.adapters import ADAPTERS
from ingest.engine import FileResult
from ingest.kinds import KINDS
from ingest.mapping import Mapping, parse_map_args
from ingest.pipeline import ingest_and_place
from metrics.model import Review
from postlaunch import db as pdb
from postlaunch.decisions import DecisionRecord
from postlaunch.errors import UsageError
from postlaunch.followups import Followup

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
    "readiness": "readiness checklist records",
    "training": "who completed which training",
}


def ingest_choices() -> dict[str, str]:
    """Contract kinds, then the adapters ingest knows, each with a short description."""
    choices = {name: KIND_HELP.get(name, kind.doc or name) for name, kind in KINDS.items()}
    for name in sorted(ADAPTERS):
        choices[name] = ADAPTER_HELP.get(name, "adapter")
    return choices


def parse_mapping(text: str) -> Mapping | None:
    """`a=b, c=d` as the command's `--map a=b --map c=d` (the same parser, the same messages)."""
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
    """Write an uploaded file under its own name into a temporary folder and ingest it (then place its
    unlabeled requests), as `postlaunch ingest` does."""
    ctx = state.context()
    safe = Path(name).name or "upload"
    with tempfile.TemporaryDirectory(prefix="postlaunch-upload-") as folder:
        path = Path(folder) / safe
        path.write_bytes(content)
        outcome = ingest_and_place(ctx, kind, [path], mapping=mapping, strict=strict)
    return [_plain(r) for r in outcome.files]


def record_decision(
    deployment: str,
    week: str,
    decision: str,
    rationale: str,
    decided_by: str,
    attendees: list[str],
    actions: str | None,
    next_review: date | None,
    snapshot: Review | None = None,
    return_criteria_checked: bool = False,
) -> DecisionRecord:
    """Append a decision to the log (refuses an empty rationale etc. with a UsageError), as
    `postlaunch decide` does, on its own short-lived writable connection."""
    ctx = state.context()
    if not rationale or not rationale.strip():
        raise UsageError("The rationale is empty: say why, in a sentence the next review can read.")
    with pdb.connect(ctx.settings.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        return decide.record_decision(
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
            return_criteria_checked=return_criteria_checked,
        )


def record_notification(deployment: str, decision_seq: int, notified: str, by: str) -> Followup:
    """Tick `notified` as told of pause/stop `decision_seq`, by `by` (as `postlaunch notified`)."""
    ctx = state.context()
    with pdb.connect(ctx.settings.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        return pause.record_notification(
            conn, ctx, deployment=deployment, decision_seq=decision_seq, notified=notified, by=by
        )


def record_readiness(
    deployment: str,
    item: str,
    status: str,
    evidence: str,
    evidence_date: date,
    reviewed_by: str,
    expires: date | None,
    by: str,
) -> FileResult:
    """Append one readiness record entered on the Readiness page (as `postlaunch ingest readiness`)."""
    ctx = state.context()
    with pdb.connect(ctx.settings.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        return readiness.record_readiness(
            conn, ctx, deployment=deployment, item=item, status=status, evidence=evidence,
            evidence_date=evidence_date, reviewed_by=reviewed_by, expires=expires, by=by,
        )  # fmt: skip
