"""The second signature (DESIGN §17): a high-tier *expand*, or a return from pause, waits as a proposal
(`postlaunch.proposals`) until a second person with governance or owner rights on the deployment
countersigns it; the decision is then appended to the hash-chained log as one record carrying both
signatures. The proposer, or governance, may withdraw it instead. The dashboard and
`postlaunch countersign` both call these functions.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from actions.decide import check_standing, identity_fields, log_access, rewrite_status_file
from postlaunch import proposals
from postlaunch.access import Identity, PermissionDenied, authorize, may
from postlaunch.config import Context
from postlaunch.db import transaction
from postlaunch.decisions import DecisionRecord, append, to_utc
from postlaunch.errors import UsageError
from postlaunch.proposals import Proposal
from postlaunch.registry_log import record_registry_change


def same_person(identity: Identity, proposal: Proposal) -> bool:
    if identity.email and proposal.decided_by_email:
        return identity.email.lower() == proposal.decided_by_email.lower()
    return identity.name.strip().lower() == proposal.decided_by.strip().lower()


def may_countersign(identity: Identity, proposal: Proposal) -> bool:
    """Whether `identity` may countersign `proposal`: governance or owner rights, and not its proposer."""
    return may(identity, "countersign", proposal.deployment) and not same_person(identity, proposal)


def may_withdraw(identity: Identity, proposal: Proposal) -> bool:
    """The proposer withdraws their own proposal; governance withdraws any."""
    return same_person(identity, proposal) or "governance" in identity.roles or identity.all_deployments


def countersign(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    proposal_id: int,
    identity: Identity,
    now: datetime | None = None,
) -> DecisionRecord:
    """Append the proposal's decision to the log with `identity`'s countersignature, and close the
    proposal, in one transaction. Refuses the proposer themself, an identity without governance or owner
    rights on the deployment, a proposal no longer open, and one that a newer decision on the same
    deployment has overtaken (the evidence it was proposed on is no longer the latest word)."""
    proposal = proposals.get(conn, proposal_id)
    authorize(identity, "countersign", proposal.deployment)
    if same_person(identity, proposal):
        raise PermissionDenied(
            f"{identity.label} proposed decision {proposal_id} and cannot countersign it: a second person "
            "with governance or owner rights must"
        )
    if proposal.status != "open":
        raise UsageError(f"decision proposal {proposal_id} is {proposal.status}, not open")
    cur = conn.cursor()
    try:
        row = cur.execute(
            "SELECT max(seq) FROM decisions WHERE deployment = ? AND seq > ?",
            [proposal.deployment, proposal.after_seq],
        ).fetchone()
    finally:
        cur.close()
    if row and row[0] is not None:
        raise UsageError(
            f"decision proposal {proposal_id} was overtaken: decision record {row[0]} on {proposal.deployment} "
            "was recorded after it; withdraw it and propose again on the current review"
        )
    when = to_utc(now or datetime.now(UTC))
    fields = {
        **proposal.record_fields(),
        **identity_fields(identity, "countersigned"),
        "countersigned_at": when,
    }
    record_registry_change(conn, ctx.registry)

    def close(c: duckdb.DuckDBPyConnection, record: DecisionRecord) -> None:
        proposals.close(c, proposal_id, "recorded", identity.label, when, record.seq)

    # a proposal made while a decision stood for its week was submitted to supersede it (submit refuses
    # otherwise), so its record names the one it replaces
    guard = lambda c: check_standing(c, proposal.deployment, proposal.week, fields, True)  # noqa: E731
    record = append(conn, fields, then=close, guard=guard)
    rewrite_status_file(conn, ctx, record)
    log_access(
        ctx,
        identity,
        proposal.deployment,
        f"countersigned proposal {proposal_id}: {proposal.decision} for {proposal.week} (record {record.seq})",
    )
    return record


def withdraw(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    proposal_id: int,
    identity: Identity,
    now: datetime | None = None,
) -> Proposal:
    """Close an open proposal without recording it (its proposer, or governance)."""
    proposal = proposals.get(conn, proposal_id)
    authorize(identity, "decide", proposal.deployment)
    if not may_withdraw(identity, proposal):
        raise PermissionDenied(
            f"{identity.label} may not withdraw decision proposal {proposal_id}: its proposer "
            f"({proposal.proposer}) or governance may"
        )
    with transaction(conn):
        proposals.close(conn, proposal_id, "withdrawn", identity.label, to_utc(now or datetime.now(UTC)))
    log_access(
        ctx,
        identity,
        proposal.deployment,
        f"withdrew proposal {proposal_id}: {proposal.decision} for {proposal.week}",
    )
    return proposals.get(conn, proposal_id)
