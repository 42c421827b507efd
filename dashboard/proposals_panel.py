"""Decisions waiting for a second signature, on the Weekly review (DESIGN §17): what was proposed, by
whom and why it needs a countersignature, with *Countersign and record* for a second person with
governance or owner rights and *Withdraw* for the proposer or governance. Nobody else sees a button."""

from __future__ import annotations

import streamlit as st

from dashboard import data, writes
from metrics.model import Review
from postlaunch.access import Identity
from postlaunch.errors import PostlaunchError
from postlaunch.proposals import Proposal


def _actions(proposal: Proposal, identity: Identity | None) -> None:
    if identity is None:
        return
    can_sign = writes.may_countersign(identity, proposal)
    can_withdraw = writes.may_withdraw(identity, proposal)
    if not (can_sign or can_withdraw):
        return
    c1, c2, _ = st.columns([2, 1, 3])
    try:
        if can_sign and c1.button(
            "Countersign and record", key=f"countersign-{proposal.id}", type="primary", icon=":material/draw:"
        ):
            record = writes.countersign(proposal.id)
            st.session_state["_decision_done"] = (
                f"Recorded decision #{record.seq}: **{record.decision}** for {record.deployment} {record.week}, "
                f"decided by {proposal.proposer} and countersigned by {identity.shown}. "
                f"Hash `{record.hash[:12]}…` (see Evidence)."
            )
            data.clear()
            st.rerun()
        if can_withdraw and c2.button("Withdraw", key=f"withdraw-{proposal.id}"):
            writes.withdraw(proposal.id)
            st.session_state["_decision_done"] = f"Withdrew proposal #{proposal.id}; nothing was recorded."
            data.clear()
            st.rerun()
    except PostlaunchError as exc:
        st.error(f"Not recorded: {exc}")


def show(review: Review, identity: Identity | None) -> None:
    """The deployment's open proposals (any week), each with the buttons `identity` may use."""
    for proposal in data.open_proposals(review.deployment):
        with st.container(border=True):
            st.markdown(
                f":material/pending_actions: **Waiting for a second signature: {proposal.decision.upper()}** "
                f"for {proposal.week} (proposal #{proposal.id}) — proposed by {proposal.proposer} "
                f"on {proposal.decided_at:%Y-%m-%d %H:%M} UTC"
            )
            st.caption(proposal.reason)
            st.markdown(f"> {proposal.rationale}")
            if proposal.actions:
                st.caption(f"Actions: {proposal.actions}")
            if identity is not None and writes.same_person(identity, proposal):
                st.caption("You proposed it: a second person with governance or owner rights countersigns.")
            _actions(proposal, identity)
