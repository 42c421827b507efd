"""Interactive pieces shared by pages: the week's standing decision and the decision form (offered only
to who may decide, recorded as the signed-in identity), the review-pack download, the week-range picker
of the trend pages and the note where a view needs events that live elsewhere. Writes go through
`dashboard.writes` (the commands' code paths)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from actions.decide import DecisionExists
from dashboard import audit, auth, data, proposals_panel, state, writes
from metrics.model import Review
from postlaunch import access, opstatus
from postlaunch.catalog import ACTIONS
from postlaunch.config import Context
from postlaunch.decisions import DecisionRecord, default_next_review
from postlaunch.errors import PostlaunchError
from report.decision import decision_lines, record_line


def next_review_default(ctx: Context, review: Review) -> date:
    """The deployment's review day (from the registry) one week after the meeting on `review`'s week."""
    return default_next_review(review.week, ctx.registry.get(review.deployment).review_day)


def _form_keys(deployment: str, week: str) -> dict[str, str]:
    fields = ("decision", "rationale", "attendees", "actions", "next", "supersede", "criteria")
    return {f: f"{f}-{deployment}-{week}" for f in fields}


def _prepare(keys: dict[str, str], defaults: dict[str, object]) -> None:
    """Give each field its default through session_state (never through the widget's value argument):
    then, after a decision was recorded, setting them again empties the form in the browser too (a popped
    key would leave the old text there, and a second click would send it again)."""
    clear = st.session_state.pop("_decision_clear", None) == keys["decision"]
    for field, key in keys.items():
        if clear or key not in st.session_state:
            st.session_state[key] = defaults.get(field, "")


def standing_decision(review: Review) -> DecisionRecord | None:
    """The week's standing decision, above the form: what was decided, by whom, why, and what follows."""
    record = data.standing(review.deployment, review.week)
    if record is None:
        st.caption(f"No decision recorded for {review.week} yet.")
        return None
    lines = "  \n".join(f"**{label.capitalize()}**: {value}" for label, value in decision_lines(record)[1:])
    box = st.success if record.decision in ("expand", "continue") else st.warning
    box(
        f"#### This week's decision: {record.decision.upper()}\n{lines}  \n"
        f":gray[Recorded as {record_line(record)}; see Evidence.]",
        icon=":material/gavel:",
    )
    return record


def decision_form(review: Review) -> None:
    """Record the owner's decision for the review's deployment and week (the `postlaunch decide` path),
    as the signed-in identity; the week's standing decision is shown above it, and replacing it needs an
    explicit confirmation. The form is absent for whoever may not decide on this deployment."""
    deployment, week = review.deployment, review.week
    info = review.deployment_info
    recommended = review.action or "continue"
    identity = auth.current_identity()
    st.subheader("Decision")
    standing = standing_decision(review)
    proposals_panel.show(review, identity)
    if identity is None or not access.may(identity, "decide", deployment):
        who = f"{identity.shown} ({identity.role_summary()})" if identity else "nobody signed in"
        st.caption(
            f"Decisions on {deployment} are recorded by its owners ({info.owner}) or governance; "
            f"you are {who}."
        )
        return
    keys = _form_keys(deployment, week)
    _prepare(
        keys,
        {
            "decision": None,
            "next": next_review_default(data.ctx(), review),
            "supersede": False,
            "criteria": False,
        },
    )
    done = st.session_state.pop("_decision_done", None)
    if done:
        st.success(done)
    replace = (
        f" A decision stands for this week: recording another replaces it (#{standing.seq} stays in the log)."
        if standing
        else ""
    )
    st.caption(
        f"Recorded in the append-only, hash-chained decision log with this week's review as it stands. "
        f"The recommendation is **{recommended}**; the owner decides.{replace}"
    )
    if info.risk_tier == "high":
        st.caption(
            "High tier: an **expand**, or a return from pause, is recorded once a second person with "
            "governance or owner rights countersigns it."
        )
    runbook = data.ctx().registry.get(deployment).runbook
    if runbook.may_pause:
        st.caption(
            f"Pause or stop may be recorded by: {', '.join(runbook.may_pause)} (the runbook's may_pause)."
        )
    halted = data.operating(deployment).status.mode in opstatus.HALTED
    with st.form(f"decide-{deployment}-{week}", clear_on_submit=False, border=True):
        decision = st.segmented_control("Decision", list(ACTIONS), key=keys["decision"])
        rationale = st.text_area(
            "Rationale",
            placeholder="Why — in a sentence the next review can read.",
            key=keys["rationale"],
        )
        c1, c2 = st.columns(2)
        c1.markdown(f"**Decided by**  \n{identity.shown}")
        attendees = c2.text_input("Attendees", placeholder="comma-separated names", key=keys["attendees"])
        c3, c4 = st.columns([3, 1])
        todo = c3.text_area("Actions", placeholder="who does what by when", key=keys["actions"], height=80)
        next_review = c4.date_input("Next review", key=keys["next"], format="YYYY-MM-DD")
        supersede = (
            st.checkbox(
                f"Replace decision #{standing.seq} ({standing.decision.upper()}): the new record names it as "
                "the one it supersedes",
                key=keys["supersede"],
            )
            if standing
            else False
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
            criteria_checked = st.checkbox("The return criteria were checked", key=keys["criteria"])
        submitted = st.form_submit_button("Record decision", type="primary")
    if not submitted:
        return
    if not decision:
        st.error("Choose a decision: expand, continue, limit, pause or stop. Nothing was recorded.")
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
            supersede=bool(supersede),
            return_criteria_checked=bool(criteria_checked),
        )
    except DecisionExists as exc:
        if exc.same:  # a second click on the same submission: it is recorded once
            st.session_state["_decision_clear"] = keys["decision"]
            st.session_state["_decision_done"] = (
                f"Already recorded as decision #{exc.standing.seq}; nothing was added."
            )
            data.clear()
            st.rerun()
        st.error(
            f"Decision #{exc.standing.seq} ({exc.standing.decision.upper()} by {exc.standing.decided_by}) stands "
            f"for {week}. Tick “Replace decision #{exc.standing.seq}” to record yours in its place. Nothing was "
            "recorded."
        )
        data.clear()
        return
    except PostlaunchError as exc:
        st.error(f"Not recorded: {exc}")
        return
    data.clear()
    st.session_state["_decision_clear"] = keys["decision"]  # a second click must not record it twice
    if isinstance(outcome, DecisionRecord):
        replaces = f", superseding #{outcome.supersedes}" if outcome.supersedes else ""
        st.session_state["_decision_done"] = (
            f"Recorded decision #{outcome.seq}{replaces}: **{outcome.decision}** for {deployment} {week} by "
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
