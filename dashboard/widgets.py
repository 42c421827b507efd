"""Interactive pieces shared by pages: the decision form, the review-pack download and the week-range
picker of the trend pages. Writes go through `dashboard.actions` (the commands' code paths)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import data, state, writes
from metrics.model import Review
from postlaunch import opstatus
from postlaunch.catalog import ACTIONS
from postlaunch.config import Context
from postlaunch.decisions import default_next_review
from postlaunch.errors import PostlaunchError


def next_review_default(ctx: Context, review: Review) -> date:
    """The deployment's review day (from the registry) one week after the meeting on `review`'s week."""
    return default_next_review(review.week, ctx.registry.get(review.deployment).review_day)


def decision_form(review: Review) -> None:
    """Record the owner's decision for the review's deployment and week (the `postlaunch decide` path)."""
    deployment, week = review.deployment, review.week
    info = review.deployment_info
    recommended = review.action or "continue"
    st.subheader("Decision")
    st.caption(
        f"Recorded in the append-only, hash-chained decision log with this week's review as it stands. "
        f"The recommendation is **{recommended}**; the owner decides."
    )
    done = st.session_state.pop("_decision_done", None)
    if done:
        st.success(done)
    runbook = data.ctx().registry.get(deployment).runbook
    if runbook.may_pause:
        st.caption(
            f"Pause or stop may be recorded by: {', '.join(runbook.may_pause)} (the runbook's may_pause)."
        )
    halted = data.operating(deployment).status.mode in opstatus.HALTED
    with st.form(f"decide-{deployment}-{week}", clear_on_submit=False, border=True):
        decision = st.segmented_control(
            "Decision",
            list(ACTIONS),
            default=recommended,
            key=f"decision-{deployment}-{week}",
        )
        rationale = st.text_area(
            "Rationale",
            placeholder="Why — in a sentence the next review can read.",
            key=f"rationale-{deployment}-{week}",
        )
        c1, c2 = st.columns(2)
        decided_by = c1.text_input("Decided by", value=info.owner, key=f"by-{deployment}-{week}")
        attendees = c2.text_input(
            "Attendees", placeholder="comma-separated names", key=f"attendees-{deployment}-{week}"
        )
        c3, c4 = st.columns([3, 1])
        todo = c3.text_area(
            "Actions", placeholder="who does what by when", key=f"actions-{deployment}-{week}", height=80
        )
        next_review = c4.date_input(
            "Next review",
            value=next_review_default(data.ctx(), review),
            key=f"next-{deployment}-{week}",
            format="YYYY-MM-DD",
        )
        criteria_checked = False
        if halted:
            criteria = runbook.return_criteria
            st.markdown(
                "**Return to normal** — a continue or expand ends the pause once these hold:\n"
                + (
                    "\n".join(f"- {c}" for c in criteria)
                    if criteria
                    else "- (the runbook lists no return criteria)"
                )
            )
            criteria_checked = st.checkbox(
                "The return criteria were checked", key=f"criteria-{deployment}-{week}", value=False
            )
        submitted = st.form_submit_button("Record decision", type="primary")
    if not submitted:
        return
    if not decision:
        st.error("Choose a decision: expand, continue, limit, pause or stop.")
        return
    if not (rationale or "").strip():
        st.error(
            "The rationale is empty: say why, in a sentence the next review can read. Nothing was recorded."
        )
        return
    try:
        record = writes.record_decision(
            deployment,
            week,
            str(decision),
            rationale,
            decided_by,
            [a.strip() for a in (attendees or "").split(",") if a.strip()],
            todo or None,
            next_review if isinstance(next_review, date) else None,
            return_criteria_checked=criteria_checked,
        )
    except PostlaunchError as exc:
        st.error(f"Not recorded: {exc}")
        return
    data.clear()
    for field in ("rationale", "attendees", "actions"):  # a second click must not record it twice
        st.session_state.pop(f"{field}-{deployment}-{week}", None)
    st.session_state["_decision_done"] = (
        f"Recorded decision #{record.seq}: **{record.decision}** for {deployment} {week} by {record.decided_by}; "
        f"next review {record.next_review}. Hash `{record.hash[:12]}…` (see Evidence)."
    )
    st.rerun()


def pack_download(review: Review) -> None:
    """The review pack: the same HTML as `postlaunch review --format html`, built when clicked."""
    deployment, week = review.deployment, review.week
    st.download_button(
        "Download review pack (HTML)",
        icon=":material/download:",
        data=data.pack_maker(deployment, week),
        file_name=f"review-{deployment}-{week}.html",
        mime="text/html",
        on_click="ignore",
        key=f"pack-{deployment}-{week}",
        help="One self-contained HTML file with the charts, to attach to the minutes; opens offline.",
    )


def week_range(weeks_newest_first: list[str], end: str, default_span: int = 12) -> tuple[str, str]:
    """A slider over the weeks with data, ending at the picked week by default; returns (first, last)."""
    ordered = sorted(weeks_newest_first)
    if not ordered:
        return end, end
    if end not in ordered:
        end = ordered[-1]
    last_index = ordered.index(end)
    first = ordered[max(0, last_index - default_span + 1)]
    if len(ordered) == 1:
        return ordered[0], ordered[0]
    chosen = st.select_slider(
        "Weeks",
        options=ordered,
        value=(first, end),
        key=f"range-{state.selected_deployment()}",
        format_func=lambda w: w.replace("-", " "),
    )
    return str(chosen[0]), str(chosen[1])
