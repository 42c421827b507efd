"""The dashboard's writes, through the same code paths as the commands: recording a decision
(`actions.decide.record_decision`, as `postlaunch decide`), loading uploaded files
(`ingest.pipeline.ingest_and_place`, as `postlaunch ingest`), drawing the week's audit sample
(`ingest.scope.audit.draw_sample`, as `postlaunch scope sample`) and storing a person's answer as a label
(`ingest.engine.ingest_paths` of kind labels, as `postlaunch ingest labels`). Each opens its own
short-lived connection.
"""

from __future__ import annotations

import csv
import getpass
import tempfile
from dataclasses import asdict, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any

from actions import decide
from dashboard import state
from ingest.adapters import ADAPTERS
from ingest.engine import FileResult, ingest_paths
from ingest.kinds import KINDS
from ingest.mapping import Mapping, parse_map_args
from ingest.pipeline import ingest_and_place
from ingest.scope.audit import DEFAULT_N, Draw, draw_sample
from metrics.model import Review
from postlaunch import db as pdb
from postlaunch.decisions import DecisionRecord
from postlaunch.errors import PostlaunchError, UsageError

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


def labeller() -> str:
    """Who is labelling and drawing: the operating-system user of the dashboard's one local user. The one
    place to switch to the signed-in identity once login (DESIGN §17) is there."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def draw_audit_sample(deployment: str, week: str, by: str, *, new: bool = False, n: int = DEFAULT_N) -> Draw:
    """The week's audit sample, drawn (and recorded) now unless it exists, as `postlaunch scope sample`."""
    ctx = state.context()
    with pdb.connect(ctx.settings.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        return draw_sample(conn, ctx, deployment, week, n=n, new=new, by=by)


def record_label(deployment: str, week: str, event_id: str, use_case: str, by: str) -> FileResult:
    """Store one answer of "Check a sample" as a label at once, as `postlaunch ingest labels` does with a
    one-row file (validated, versioned with history, the week's rollup updated). Placement picks the new
    label up at the next ingest."""
    ctx = state.context()
    with tempfile.TemporaryDirectory(prefix="postlaunch-label-") as folder:
        path = Path(folder) / f"check-a-sample-{deployment}-{week}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["event_id", "deployment", "use_case", "labelled_by"])
            writer.writerow([event_id, deployment, use_case, by])
        [result] = ingest_paths(ctx, "labels", [path])
    if result.status != "loaded" or result.quarantined:
        reason = result.message or "; ".join(result.reasons) or "not stored"
        raise PostlaunchError(f"The answer was not stored: {reason}")
    return result


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
        )
