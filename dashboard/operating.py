"""The Weekly review's operating pieces (DESIGN §13-§14): the row of seven readiness marks, the
operating mode the deployed system reads with the acknowledgement of a pause ("pause decided 10:02 ·
first read by the app 10:02:05"), and after a pause or stop the runbook's fallback, safe state and the
notify checklist, each tick stored with who and when. It reads through `dashboard.data` and writes
through `dashboard.writes`; no SQL here.
"""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data, writes
from metrics.model import ReadinessItem, Review
from postlaunch import access, fmt, opstatus
from postlaunch.errors import PostlaunchError
from postlaunch.readiness import ITEMS
from report import layout

MARK_COLOR = {"ok": "green", "warn": "orange", "critical": "red", "unknown": "gray"}
MARK_ICON = {"ok": "check_circle", "warn": "error", "critical": "cancel", "unknown": "help"}


def mark(item: ReadinessItem) -> tuple[str, str, str]:
    """One readiness mark: the item's id, its icon and colour by level."""
    level = layout.readiness_level(item)
    return item.item, f":material/{MARK_ICON[level]}:", MARK_COLOR[level]


def tooltip(item: ReadinessItem) -> str:
    lines = [f"**{layout.readiness_label(item)}** — {item.message}", f"*{item.item}*: {ITEMS[item.item]}."]
    if item.evidence:
        lines.append(f"Evidence: {item.evidence} ({item.evidence_date}, reviewed by {item.reviewed_by})")
    if item.expires:
        lines.append(f"{'Expired' if item.expired else 'Valid until'} {item.expires}")
    return "\n\n".join(lines)


def readiness_row(review: Review) -> None:
    """The seven marks in one row, each with its sentence as a tooltip."""
    if not review.readiness:
        return
    blocking = [r.item for r in review.readiness if r.blocks_expand]
    st.markdown(
        "**Readiness** "
        + (f"— expand is held back by {', '.join(blocking)}" if blocking else "— all seven items stand"),
        help="The seed's checklist, judged as of this week's review meeting (Readiness page for details).",
    )
    for col, item in zip(st.columns(len(review.readiness)), review.readiness, strict=True):
        label, icon, color = mark(item)
        col.badge(label, icon=icon, color=color, help=tooltip(item))  # type: ignore[arg-type]


def operating_status(review: Review) -> None:
    """The mode the deployed system reads, and after a pause or stop whether it has seen it."""
    ctx = data.ctx()
    op = data.operating(review.deployment)
    s = op.status
    flag = f"`{s.key}`"
    if s.mode not in opstatus.HALTED or s.source != "decision":
        last = fmt.clock(op.last_read_at, ctx.settings.timezone, seconds=True) if op.last_read_at else "never"
        where = (
            f"decision #{s.decision_seq} ({s.decision}, {s.week})"
            if s.source == "decision"
            else f"registry status {s.registry_status}"
        )
        st.caption(
            f"Operating mode **{s.mode}** ({flag}, from {where}; fail {s.fail_mode}) · the app last read its status: {last}"
        )
        return
    ack = op.acknowledgement(ctx.settings.pause_ack_minutes)
    head = (
        f"**Operating mode: {s.mode.upper()}** ({flag}) — decision #{s.decision_seq} ({s.decision} for {s.week}) "
        f"by {s.decided_by}; fail {s.fail_mode}"
    )
    text = ack.text(ctx.settings.timezone) if ack else ""
    if ack is not None and ack.observed:
        st.success(f"{head}  \n{text}: the pause is in effect.", icon=":material/task_alt:")
    elif ack is not None and ack.alert:
        st.error(
            f"{head}  \n{text} — alert after {ctx.settings.pause_ack_minutes} min: the system may still be running. "
            f"Check that the app reads {flag} (OFREP or the flagd file).",
            icon=":material/notification_important:",
        )
    else:
        st.warning(f"{head}  \n{text}", icon=":material/hourglass_top:")
    pause_checklist(review, op)


def pause_checklist(review: Review, op: data.Operating) -> None:
    """The runbook's fallback and safe state, and who must be told: each tick is stored with who and when."""
    halt = op.halt
    if halt is None:
        return
    ctx = data.ctx()
    with st.container(border=True):
        st.markdown(
            f"**Fallback:** {halt.fallback or 'none in the runbook'}  \n"
            f"**Safe state:** {halt.safe_state or 'none in the runbook'}"
        )
        if not halt.notify:
            st.caption(
                f"The runbook lists nobody to notify ([deployments.{review.deployment}.runbook] notify)."
            )
            return
        done = {t.item: t for t in op.ticks}
        st.markdown(f"**Tell** ({len(done)} of {len(halt.notify)} told)")
        identity = auth.current_identity()
        may_tick = identity is not None and access.may(identity, "decide", review.deployment)
        if not may_tick:
            st.caption(f"Ticks are recorded by the owners of {review.deployment} or governance.")
        for i, name in enumerate(halt.notify):
            tick = done.get(name)
            if tick is not None:
                when = fmt.clock(tick.recorded_at, ctx.settings.timezone, op.status.decided_at)
                st.checkbox(f"{name} — told; ticked by {tick.recorded_by} at {when}", value=True, disabled=True,
                            key=f"told-{halt.decision_seq}-{i}")  # fmt: skip
                continue
            if st.checkbox(name, value=False, key=f"tell-{halt.decision_seq}-{i}", disabled=not may_tick):
                try:
                    writes.record_notification(review.deployment, halt.decision_seq, name)
                except PostlaunchError as exc:
                    st.error(f"Not ticked: {exc}")
                    continue
                data.clear()
                st.rerun()
