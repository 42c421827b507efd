"""Evidence: the decision log with the chain's verification and who signed, who was told of each
pause, the reads of the operating status, change records, ingest runs, quarantined rows with their
reasons, and the access log with filters (governance sees all of it, an owner their deployments').
It reads through `dashboard.data`; no SQL here."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from dashboard import auth, data, state
from postlaunch.access import LOG_ACTIONS


def _decisions(deployment: str | None, only_this: bool) -> None:
    log, chain = data.decisions(deployment if only_this else None)
    st.subheader(f"Decision log ({len(log)})")
    if chain.ok:
        st.success(chain.summary(), icon=":material/verified_user:")
    else:
        st.error(f"{chain.summary()} — run `postlaunch verify` for details.", icon=":material/gpp_bad:")
    if not len(log):
        st.caption(
            "No decisions recorded yet. Record one on the Weekly review page or with `postlaunch decide`."
        )
        return
    shown = log.copy()
    shown["attendees"] = [", ".join(a) if isinstance(a, list) else a for a in shown["attendees"]]
    shown["hash"] = [str(h)[:12] + "…" for h in shown["hash"]]
    shown["prev_hash"] = [str(h)[:12] + "…" if h else "" for h in shown["prev_hash"]]
    shown["supersedes"] = [f"#{int(v)}" if pd.notna(v) else "" for v in shown["supersedes"]]
    columns = [
        "seq",
        "chain",
        "deployment",
        "week",
        "decision",
        "supersedes",
        "rationale",
        "decided_by",
        "countersigned_by",
        "attendees",
        "actions",
        "next_review",
        "decided_at",
        "hash",
        "prev_hash",
    ]
    st.dataframe(shown[[c for c in columns if c in shown.columns]], hide_index=True, width="stretch")


def _operating(deployment: str | None, only_this: bool) -> None:
    """Who was told of each pause or stop, and the reads of the operating status (DESIGN §14)."""
    scope = deployment if only_this else None
    ticks = data.records("followups", scope)
    st.subheader(f"Told of a pause or stop ({len(ticks)})")
    if len(ticks):
        st.caption(
            "Follow-ups of the decision log, each chained to its decision (checked by `postlaunch verify`)."
        )
        st.dataframe(ticks, hide_index=True, width="stretch")
    else:
        st.caption(
            "Nobody ticked yet: after a pause or stop, the Weekly review lists the runbook's notify checklist."
        )
    reads = data.records("status_reads", scope)
    st.subheader(f"Operating-status reads (latest {len(reads)})")
    if len(reads):
        refused = int((reads["outcome"] != "ok").sum())
        if refused:
            st.warning(
                f"{refused} of these reads were refused (no key, a revoked or another deployment's key)."
            )
        st.dataframe(reads, hide_index=True, width="stretch")
    else:
        st.caption(
            "No app has read its status over OFREP yet (`postlaunch status-key create --deployment ID`; "
            "see docs/operating-status.md)."
        )


def _changes(deployment: str | None, only_this: bool) -> None:
    changes = data.changes(deployment if only_this else None)
    st.subheader(f"Change records ({len(changes)})")
    if not len(changes):
        st.caption(
            "No change records loaded (`postlaunch ingest changes FILE`); registry edits are recorded too."
        )
        return
    st.dataframe(changes.sort_values("ts", ascending=False), hide_index=True, width="stretch")


def _ingest() -> None:
    runs = data.ingest_runs()
    st.subheader(f"Ingest runs ({len(runs)})")
    if not len(runs):
        st.caption("No ingest runs yet.")
    else:
        failed = runs[runs["status"] != "loaded"]
        if len(failed):
            st.warning(f"{len(failed)} file(s) could not be loaded; see `message`.")
        st.dataframe(
            runs,
            hide_index=True,
            width="stretch",
            column_order=[
                "started_at",
                "file",
                "kind",
                "adapter",
                "rows",
                "loaded",
                "duplicates",
                "quarantined",
                "status",
                "message",
                "extra_columns",
                "who",
                "host",
                "sha256",
                "run_id",
                "finished_at",
            ],
        )
    reasons, rows = data.quarantine()
    total = int(reasons["rows"].sum()) if len(reasons) else 0
    st.subheader(f"Quarantined rows ({total:,})")
    if not total:
        st.caption("No row was quarantined.")
        return
    st.caption(
        "Each source row once, however often its file was ingested (`seen_in_runs` lists the runs that met "
        "it). `postlaunch quarantine [--run ID] [--file F] [--reason TEXT] [--json]` lists them on the "
        "command line."
    )
    st.markdown("**By reason**")
    st.dataframe(reasons, hide_index=True, width="stretch")
    shown = f", the first {len(rows):,} of {total:,}" if len(rows) < total else ""
    st.markdown(f"**Rows** (file, line, field, why, and the row as read{shown})")
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_order=[
            "file",
            "line",
            "field",
            "reason",
            "raw",
            "kind",
            "quarantined_at",
            "run_id",
            "seen_in_runs",
        ],
    )


def _utc(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def _access_log(deployment: str | None, only_this: bool) -> None:
    identity = auth.current_identity()
    if identity is None or not auth.may("audit"):
        return
    ctx = state.context()
    everything = "governance" in identity.roles or identity.all_deployments
    st.subheader("Access log")
    st.caption(
        "Who signed in, viewed, exported, decided and uploaded (append-only; `postlaunch prune` removes old "
        "records, never a high-tier deployment's younger than retention_days). "
        + ("" if everything else f"As an owner you see the records of {', '.join(sorted(identity.owns))}.")
    )
    zone = ctx.settings.timezone
    today = datetime.now(ZoneInfo(zone)).date()
    c1, c2, c3, c4 = st.columns([2, 2, 1, 2])
    days = c1.date_input(
        "Days",
        value=(today - timedelta(days=7), today),
        max_value=today,
        key="access-days",
        format="YYYY-MM-DD",
    )
    person = c2.text_input("Person", placeholder="name or e-mail (part of it)", key="access-person")
    action = c3.selectbox("Action", ["any", *LOG_ACTIONS], key="access-action")
    known = ctx.registry.ids if everything else sorted(identity.owns)
    picked = c4.selectbox(
        "Deployment",
        ["any", *known],
        index=(known.index(deployment) + 1) if only_this and deployment in known else 0,
        key="access-deployment",
    )
    first, last = (days[0], days[-1]) if isinstance(days, tuple) and days else (today, today)
    deployments = [picked] if picked != "any" else (None if everything else known)
    rows = data.access_records(
        _utc(first, zone),
        _utc(last + timedelta(days=1), zone),
        person or None,
        None if action == "any" else action,
        deployments,
    )
    st.caption(f"{len(rows):,} records from {first} to {last} ({zone}), newest first (at most 2,000 shown).")
    st.dataframe(rows, hide_index=True, width="stretch")


def render() -> None:
    st.title("Evidence")
    st.caption("What was decided, on what evidence, and what came in: the audit trail of the weekly reviews.")
    deployment = state.selected_deployment()
    only_this = (
        st.toggle(f"Only {deployment}", value=False, disabled=deployment is None) if deployment else False
    )
    _decisions(deployment, only_this)
    _operating(deployment, only_this)
    _changes(deployment, only_this)
    _ingest()
    _access_log(deployment, only_this)


state.page(render)
