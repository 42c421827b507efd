"""Interactive pieces shared by pages: the decision form (offered only to who may decide, recorded as
the signed-in identity), the review-pack download, the week-range picker of the trend pages and the note
where a view needs events that live elsewhere. Writes go through `dashboard.writes` (the commands' code
paths)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import audit, auth, data, proposals_panel, state, writes
from metrics.model import Review
from postlaunch import access
from postlaunch.catalog import ACTIONS
from postlaunch.config import Context
from postlaunch.decisions import DecisionRecord, default_next_review
from postlaunch.errors import PostlaunchError


def next_review_default(ctx: Context, review: Review) -> date:
    """The deployment's review day (from the registry) one week after the meeting on `review`'s week."""
    return default_next_review(review.week, ctx.registry.get(review.deployment).review_day)


def decision_form(review: Review) -> None:
    """Record the owner's decision for the review's deployment and week (the `postlaunch decide` path),
    as the signed-in identity. Absent for whoever may not decide on this deployment."""
    deployment, week = review.deployment, review.week
    info = review.deployment_info
    recommended = review.action or "continue"
    identity = auth.current_identity()
    st.subheader("Decision")
    proposals_panel.show(review, identity)
    if identity is None or not access.may(identity, "decide", deployment):
        who = f"{identity.shown} ({identity.role_summary()})" if identity else "nobody signed in"
        st.caption(
            f"Decisions on {deployment} are recorded by its owners ({info.owner}) or governance; "
            f"you are {who}."
        )
        return
    st.caption(
        f"Recorded in the append-only, hash-chained decision log with this week's review as it stands. "
        f"The recommendation is **{recommended}**; the owner decides."
    )
    done = st.session_state.pop("_decision_done", None)
    if done:
        st.success(done)
    if info.risk_tier == "high":
        st.caption(
            "High tier: an **expand**, or a return from pause, is recorded once a second person with "
            "governance or owner rights countersigns it."
        )
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
        c1.markdown(f"**Decided by**  \n{identity.shown}")
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
        outcome = writes.submit_decision(
            deployment,
            week,
            str(decision),
            rationale,
            [a.strip() for a in (attendees or "").split(",") if a.strip()],
            todo or None,
            next_review if isinstance(next_review, date) else None,
        )
    except PostlaunchError as exc:
        st.error(f"Not recorded: {exc}")
        return
    data.clear()
    for field in ("rationale", "attendees", "actions"):  # a second click must not record it twice
        st.session_state.pop(f"{field}-{deployment}-{week}", None)
    if isinstance(outcome, DecisionRecord):
        st.session_state["_decision_done"] = (
            f"Recorded decision #{outcome.seq}: **{outcome.decision}** for {deployment} {week} by "
            f"{identity.shown}; next review {outcome.next_review}. Hash `{outcome.hash[:12]}…` (see Evidence)."
        )
    else:
        st.session_state["_decision_done"] = (
            f"Not recorded yet: **{outcome.decision}** waits for a second signature as proposal "
            f"#{outcome.id} — {outcome.reason}."
        )
    st.rerun()


def pack_download(review: Review) -> None:
    """The review pack: the same HTML as `postlaunch review --format html`, built when clicked."""
    deployment, week = review.deployment, review.week
    identity = auth.current_identity()
    if identity is None or not access.may(identity, "export", deployment):
        return
    settings = state.context().settings

    def exported() -> None:  # runs on the download's own thread: the queue is thread-safe
        audit.event(settings, identity, "export", deployment, f"review pack {week}")

    st.download_button(
        "Download review pack (HTML)",
        icon=":material/download:",
        data=data.pack_maker(deployment, week, on_made=exported),
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


def elsewhere_note(what: str) -> bool:
    """Say that `what` needs the events, which stay where the rollup was computed; True when it said so."""
    engine = data.events_elsewhere()
    if engine is None:
        return False
    st.info(
        f"This database's rollup was computed by {engine.capitalize()} where the events live: the figures and "
        f"trends come from it, the review shows redacted examples. {what} needs the events themselves, which "
        "stay in the lake (docs/scale.md)."
    )
    return True
