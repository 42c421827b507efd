"""Evidence: the decision log with the chain's verification, who was told of each pause, the reads of
the operating status, change records, ingest runs and quarantined rows with their reasons. It reads
through `dashboard.data`; no SQL here."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state


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
    columns = [
        "seq",
        "chain",
        "deployment",
        "week",
        "decision",
        "rationale",
        "decided_by",
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
    st.subheader(f"Quarantined rows ({len(rows)})")
    if not len(rows):
        st.caption("No row was quarantined.")
        return
    st.markdown("**By reason**")
    st.dataframe(reasons, hide_index=True, width="stretch")
    st.markdown("**Rows** (file, line, raw text as read, and why)")
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


state.page(render)
