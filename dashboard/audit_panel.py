"""The Scope page's "Check a sample" (DESIGN §12): the week's audit sample one request at a time, the
approved use cases and out_of_scope as buttons (keys 1-9 and 0), progress, and each answer stored at once
as a label by the person (dashboard.writes), so a closed tab loses nothing. Reads the sample through
ingest.scope.audit on a read-only connection; it computes no metric.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import auth, state, writes
from ingest.scope.audit import DEFAULT_N, Draw, week_sample
from postlaunch import access, fmt
from postlaunch.config import Context
from postlaunch.rules import OUT_OF_SCOPE

POSITION_KEY = "audit-position"  # session key prefix: the request shown when going back


def _sample(ctx: Context, deployment: str, week: str) -> Draw | None:
    with state.connection(ctx) as conn:
        return week_sample(conn, deployment, week)


def choices(approved: list[str]) -> list[tuple[str, str | None]]:
    """(use case, keyboard shortcut): approved use cases on 1-9 (in the registry's order), out_of_scope on 0."""
    keys = [str(i) for i in range(1, 10)]
    out: list[tuple[str, str | None]] = [
        (uc, keys[i] if i < len(keys) else None) for i, uc in enumerate(approved)
    ]
    return [*out, (OUT_OF_SCOPE, "0")]


def _answer(deployment: str, week: str, event: dict[str, Any], use_case: str, key: str) -> None:
    """A button's callback: store the label before the page is drawn again, then show the next request."""
    try:
        writes.record_label(deployment, week, str(event["event_id"]), use_case)
    except Exception as exc:  # noqa: BLE001 - shown on the page by the next run
        st.session_state[f"{key}-error"] = str(exc)
        return
    st.session_state.pop(key, None)
    st.session_state[f"{key}-last"] = (str(event["event_id"]), use_case)


def _draw(deployment: str, week: str, new: bool) -> None:
    try:
        writes.draw_audit_sample(deployment, week, new=new)
    except Exception as exc:  # noqa: BLE001
        st.session_state[f"{POSITION_KEY}-{deployment}-{week}-error"] = str(exc)


def render_check_sample(ctx: Context, deployment: str, week: str) -> None:
    """The section for `deployment`'s `week` (the sidebar's week)."""
    key = f"{POSITION_KEY}-{deployment}-{week}"
    st.subheader(f"Check a sample · {week}")
    identity = auth.current_identity()
    if identity is None or not access.may(identity, "label", deployment):
        who = (
            "nobody signed in"
            if identity is None
            else f"you are signed in as {identity.shown} ({identity.role_summary()})"
        )
        st.caption(
            "The week's audit sample is checked by the deployment's owners or governance: they label a small "
            f"random sample of requests so the out-of-scope share rests on a person's judgement; {who}."
        )
        return
    by = identity.shown
    st.caption(
        "Placement by text errs both ways. Labelling a small random sample of the week's requests lets the "
        "out-of-scope share be corrected and its interval narrowed: about 40 answers, a few seconds each. "
        "The placement is not shown, so it does not sway the answer. Keys: 1-9 the use cases, 0 out of scope."
    )
    error = st.session_state.pop(f"{key}-error", None)
    if error:
        st.error(error)
    sample = _sample(ctx, deployment, week)
    if sample is None:
        st.button(
            f"Draw {DEFAULT_N} requests to check",
            key=f"{key}-draw",
            type="primary",
            on_click=_draw,
            args=(deployment, week, False),
        )
        return
    total = len(sample.events)
    done = sample.labelled
    st.progress(done / total if total else 1.0, text=f"{done} of {total} checked")
    last = st.session_state.get(f"{key}-last")
    if last:
        st.caption(f"Stored: `{last[0]}` → **{last[1]}** (by {by})")
    pending = [i for i, e in enumerate(sample.events) if e["use_case"] is None]
    position = st.session_state.get(key)
    if position is None or not 0 <= int(position) < total:
        position = pending[0] if pending else None
    if position is None:
        st.success(
            f"All {total} requests of this sample are checked: the week's out-of-scope share now rests on them."
        )
        st.button(
            f"Draw {DEFAULT_N} more",
            key=f"{key}-more",
            on_click=_draw,
            args=(deployment, week, True),
        )
        return
    event = sample.events[int(position)]
    with st.container(border=True):
        st.caption(f"Request {int(position) + 1} of {total} · {fmt.week_label(week)} · `{event['event_id']}`")
        st.markdown(f"> {event['request_text'] or '(no text)'}")
        if event["use_case"] is not None:
            st.caption(f"Labelled **{event['use_case']}** by {event['labelled_by']}; an answer replaces it.")
    dep = ctx.registry.get(deployment)
    options = choices(list(dep.approved_use_cases))
    columns = st.columns(min(len(options), 4))
    for i, (use_case, shortcut) in enumerate(options):
        columns[i % len(columns)].button(
            use_case,
            key=f"{key}-{use_case}",
            shortcut=shortcut,
            width="stretch",
            type="secondary" if use_case != OUT_OF_SCOPE else "primary",
            on_click=_answer,
            args=(deployment, week, event, use_case, key),
        )
    if int(position) > 0:
        st.button(
            "Back to the previous request",
            key=f"{key}-back",
            shortcut="Backspace",
            on_click=lambda: st.session_state.__setitem__(key, int(position) - 1),
        )
