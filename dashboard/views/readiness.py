"""Readiness: the seed's checklist of one deployment (DESIGN §13) as it stands for the picked week's
review meeting — each item's claim, evidence, expiry and what the data says of it — and the form its
owner records a new record with (append-only; the latest per item stands). No SQL, no metric logic."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import auth, data, operating, state, tables, writes
from metrics.model import ReadinessItem
from postlaunch import access
from postlaunch.decisions import review_meeting
from postlaunch.errors import PostlaunchError
from postlaunch.readiness import EXPIRY_MONTHS, ITEMS, STATUSES
from report import layout


def _table(review_items: list[ReadinessItem]) -> None:
    rows = [
        {
            "item": r.item,
            "asks": ITEMS[r.item],
            "status": layout.readiness_label(r),
            "what the data says": r.message,
            "evidence": r.evidence or "",
            "dated": r.evidence_date or "",
            "valid until": r.expires or "",
            "reviewed by": r.reviewed_by or "",
        }
        for r in review_items
    ]
    frame = pd.DataFrame(rows)
    level = pd.Series([layout.readiness_level(r) for r in review_items], index=frame.index)
    soft = level.map({"ok": "ok", "warn": "warn", "critical": "critical", "unknown": ""})
    st.dataframe(
        tables.styled(frame, soft_by={"status": soft, "item": soft}),
        hide_index=True,
        width="stretch",
    )


def _form(deployment: str, owner: str, tier: str) -> None:
    st.subheader("Record readiness")
    identity = auth.current_identity()
    if identity is None or not access.may(identity, "readiness", deployment):
        who = f"{identity.shown} ({identity.role_summary()})" if identity else "nobody signed in"
        st.caption(
            f"Readiness evidence for {deployment} is recorded by its owners ({owner}) or governance; you are {who}."
        )
        return
    st.caption(
        f"Recorded as you, {identity.shown}. Records are never changed: a new one for the same item "
        f"stands from its evidence date on. Evidence stays valid {EXPIRY_MONTHS[tier]} months for {tier} tier "
        "unless you give an expiry."
    )
    done = st.session_state.pop("_readiness_done", None)
    if done:
        st.success(done)
    with st.form(f"readiness-{deployment}", border=True):
        c1, c2 = st.columns([1, 2])
        item = c1.selectbox(
            "Item", list(ITEMS), format_func=lambda i: f"{i} — {ITEMS[i]}", key=f"ri-{deployment}"
        )
        status = c1.radio("Status", list(STATUSES), horizontal=True, key=f"rs-{deployment}")
        evidence = c2.text_input("Evidence", placeholder="a link or a sentence", key=f"re-{deployment}")
        c3, c4, c5 = st.columns(3)
        evidence_date = c3.date_input(
            "Evidence date", value=date.today(), key=f"rd-{deployment}", format="YYYY-MM-DD"
        )
        expires = c4.date_input("Expires (optional)", value=None, key=f"rx-{deployment}", format="YYYY-MM-DD")
        reviewed_by = c5.text_input("Reviewed by", value=owner, key=f"rr-{deployment}")
        submitted = st.form_submit_button("Record", type="primary")
    if not submitted:
        return
    if not (evidence or "").strip():
        st.error("The evidence is empty: give a link or a sentence. Nothing was recorded.")
        return
    try:
        result = writes.record_readiness(
            deployment, str(item), str(status), evidence, evidence_date if isinstance(evidence_date, date) else date.today(),
            reviewed_by, expires if isinstance(expires, date) else None,
        )  # fmt: skip
    except PostlaunchError as exc:
        st.error(f"Not recorded: {exc}".replace("Not recorded: not recorded:", "Not recorded:"))
        return
    data.clear()
    st.session_state["_readiness_done"] = (
        f"Recorded **{item}: {status}** for {deployment} by {identity.shown}."
        if result.loaded
        else f"The same record of {item} is already on file: nothing was added."
    )
    st.rerun()


def render() -> None:
    deployment, week = state.selected_deployment(), state.selected_week()
    if not deployment or not week:
        st.info("Choose a deployment and a week in the sidebar.")
        return
    ctx = data.ctx()
    dep = ctx.registry.get(deployment)
    review = data.review(deployment, week)
    meeting = review_meeting(week, dep.review_day)
    st.title(f"Readiness · {dep.name}")
    st.caption(
        f"The seed's checklist, as it stands for the review meeting of {week} on {meeting:%A %d %b %Y} "
        f"(risk {dep.risk_tier}). *Expand* needs all seven met, unexpired and unchallenged by the data."
    )
    operating.readiness_row(review)
    _table(review.readiness)
    _form(deployment, dep.owner, dep.risk_tier)
    history = data.records("readiness", deployment)
    with st.expander(f"Every readiness record of {deployment} ({len(history)})", expanded=False):
        if len(history):
            st.dataframe(history, hide_index=True, width="stretch")
        else:
            st.caption("None yet: record one above, or load a file with `postlaunch ingest readiness FILE`.")


state.page(render)
