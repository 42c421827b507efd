"""The dashboard's writes, through the same code paths as the commands: recording a decision
(`actions.decide.submit_decision`, as `postlaunch decide`), countersigning or withdrawing one
(`actions.countersign`, as `postlaunch countersign`), ticking who was told of a pause
(`actions.pause`, as `postlaunch notified`), a readiness record (`actions.readiness`), loading uploaded files
(`ingest.pipeline.ingest_and_place`, as `postlaunch ingest`), drawing the week's audit sample
(`ingest.scope.audit.draw_sample`, as `postlaunch scope sample`) and storing a person's answer as a label
(`ingest.engine.ingest_paths` of kind labels, as `postlaunch ingest labels`). Each asks `auth.current_identity()` who
is acting — never a typed name — and refuses at the server what that identity may not do, whatever the
page offered. Each opens its own short-lived connection.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import asdict, is_dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from actions import countersign as cs
from actions import decide, pause, readiness
from dashboard import audit, auth, state
from ingest.adapters import ADAPTERS
from ingest.engine import FileResult, ingest_paths
from ingest.kinds import KINDS
from ingest.mapping import Mapping, parse_map_args
from ingest.pipeline import ingest_and_place
from ingest.scope.audit import DEFAULT_N, Draw, draw_sample
from metrics.model import Review
from postlaunch import access, uploads
from postlaunch import db as pdb
from postlaunch.access import Identity
from postlaunch.decisions import DecisionRecord
from postlaunch.errors import PostlaunchError, UsageError
from postlaunch.followups import Followup
from postlaunch.proposals import Proposal

# Who may press which button on a proposal (the same rules the actions enforce).
may_countersign = cs.may_countersign
may_withdraw = cs.may_withdraw
same_person = cs.same_person

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
        "empty": (raw.get("notes") or {}).get("empty") or "",
    }


def _acting(action: str, deployment: str | None = None) -> Identity:
    """The signed-in identity, if it may do `action` (PermissionDenied otherwise)."""
    return access.authorize(auth.current_identity(), action, deployment)


def ingest_upload(
    kind: str, name: str, content: bytes, mapping: Mapping | None = None, strict: bool = False
) -> list[dict[str, Any]]:
    """Ingest an uploaded file (then place its unlabeled requests), as `postlaunch ingest` does, as the
    signed-in uploader. Refuses an identity without the operator or governance role, a file over
    `max_upload_mb`, and a name that would write outside the data folder (its path is stripped)."""
    identity = _acting("upload")
    ctx = state.context()
    with uploads.staged(ctx.settings, name, content) as path:
        outcome = ingest_and_place(
            replace(ctx, actor=identity.label), kind, [path], mapping=mapping, strict=strict
        )
    rows = [_plain(r) for r in outcome.files]
    for row in rows:
        audit.event(
            ctx.settings,
            identity,
            "upload",
            None,
            f"{row['file']} as {kind}: {row['status']}, rows={row['rows']} loaded={row['loaded']} "
            f"duplicates={row['duplicates']} quarantined={row['quarantined']}",
        )
    audit.flush()
    return rows


def draw_audit_sample(deployment: str, week: str, *, new: bool = False, n: int = DEFAULT_N) -> Draw:
    """The week's audit sample, drawn (and recorded, by the signed-in identity) now unless it exists, as
    `postlaunch scope sample`. Needs the label permission for the deployment."""
    identity = _acting("label", deployment)
    ctx = state.context()
    with pdb.connect(ctx.settings.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        draw = draw_sample(conn, ctx, deployment, week, n=n, new=new, by=identity.label)
    audit.event(
        ctx.settings,
        identity,
        "label",
        deployment,
        f"drew the audit sample of {week} ({len(draw.events)} requests)",
    )
    audit.flush()
    return draw


def record_label(deployment: str, week: str, event_id: str, use_case: str) -> FileResult:
    """Store one answer of "Check a sample" as a label by the signed-in identity at once, as `postlaunch
    ingest labels` does with a one-row file (validated, versioned with history, the week's rollup
    updated). Placement picks the new label up at the next ingest."""
    identity = _acting("label", deployment)
    ctx = state.context()
    with tempfile.TemporaryDirectory(prefix="postlaunch-label-") as folder:
        path = Path(folder) / f"check-a-sample-{deployment}-{week}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["event_id", "deployment", "use_case", "labelled_by"])
            writer.writerow([event_id, deployment, use_case, identity.label])
        [result] = ingest_paths(replace(ctx, actor=identity.label), "labels", [path])
    if result.status != "loaded" or result.quarantined:
        reason = result.message or "; ".join(result.reasons) or "not stored"
        raise PostlaunchError(f"The answer was not stored: {reason}")
    audit.event(ctx.settings, identity, "label", deployment, f"{week}: {event_id} labelled {use_case}")
    audit.flush()
    return result


def submit_decision(
    deployment: str,
    week: str,
    decision: str,
    rationale: str,
    attendees: list[str],
    actions: str | None,
    next_review: date | None,
    snapshot: Review | None = None,
    supersede: bool = False,
    return_criteria_checked: bool = False,
) -> DecisionRecord | Proposal:
    """Record a decision as the signed-in identity (or keep it as a proposal when it needs a second
    signature), as `postlaunch decide` does, on its own short-lived writable connection. Refuses an
    identity that may not decide on `deployment`, and an empty rationale, before anything is opened;
    a second decision for the week only with `supersede`."""
    identity = _acting("decide", deployment)
    ctx = state.context()
    if not rationale or not rationale.strip():
        raise UsageError("The rationale is empty: say why, in a sentence the next review can read.")
    with pdb.connect(ctx.settings.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        return decide.submit_decision(
            conn,
            ctx,
            identity=identity,
            deployment=deployment,
            week=week,
            decision=decision,
            rationale=rationale,
            attendees=attendees,
            actions=actions,
            next_review=next_review,
            snapshot=snapshot,
            supersede=supersede,
            return_criteria_checked=return_criteria_checked,
        )


def countersign(proposal_id: int) -> DecisionRecord:
    """Countersign a proposal as the signed-in identity; the decision is then recorded."""
    identity = auth.current_identity()
    ctx = state.context()
    with pdb.connect(ctx.settings.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        return cs.countersign(conn, ctx, proposal_id, access.authorize(identity, "view"))


def withdraw(proposal_id: int) -> Proposal:
    """Withdraw a proposal as the signed-in identity (its proposer, or governance)."""
    identity = auth.current_identity()
    ctx = state.context()
    with pdb.connect(ctx.settings.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        return cs.withdraw(conn, ctx, proposal_id, access.authorize(identity, "view"))


def record_notification(deployment: str, decision_seq: int, notified: str) -> Followup:
    """Tick `notified` as told of pause/stop `decision_seq`, as the signed-in identity (as `postlaunch
    notified --by`); it needs the right to decide on `deployment`, and goes into the access log."""
    identity = _acting("decide", deployment)
    ctx = state.context()
    with pdb.connect(ctx.settings.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        tick = pause.record_notification(
            conn, ctx, deployment=deployment, decision_seq=decision_seq, notified=notified, by=identity.label
        )
    audit.event(ctx.settings, identity, "decide", deployment, f"told {notified} of decision #{decision_seq}")
    return tick


def record_readiness(
    deployment: str,
    item: str,
    status: str,
    evidence: str,
    evidence_date: date,
    reviewed_by: str,
    expires: date | None,
) -> FileResult:
    """Append one readiness record entered on the Readiness page (as `postlaunch ingest readiness`), as
    the signed-in identity; it needs owner rights on `deployment` or governance, and goes into the
    access log."""
    identity = _acting("readiness", deployment)
    ctx = state.context()
    with pdb.connect(ctx.settings.db, timeout=ctx.settings.lock_timeout_seconds) as conn:
        result = readiness.record_readiness(
            conn, ctx, deployment=deployment, item=item, status=status, evidence=evidence,
            evidence_date=evidence_date, reviewed_by=reviewed_by, expires=expires, by=identity.label,
        )  # fmt: skip
    if result.loaded:
        audit.event(ctx.settings, identity, "readiness", deployment, f"{item}: {status} ({evidence_date})")
    return result
