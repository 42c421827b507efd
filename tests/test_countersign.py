"""The second signature (DESIGN §17): on a high-tier deployment an *expand*, or a return from pause, is
kept as a proposal until a second person with governance or owner rights countersigns it, and is then
one hash-chained record with both signatures. In the core and through `postlaunch decide` /
`postlaunch countersign` / `postlaunch verify`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from commands_db import REGISTRY, Org, clean_env

from actions.countersign import countersign, may_countersign, withdraw
from actions.decide import CountersignRequired, record_decision, submit_decision
from postlaunch import proposals
from postlaunch.access import Identity, PermissionDenied, cli_user, os_user, resolve
from postlaunch.config import Context, load_context
from postlaunch.db import connect
from postlaunch.decisions import DecisionRecord, verify_chain
from postlaunch.errors import UsageError
from postlaunch.proposals import Proposal

ACCESS = """
[access]
governance = ["gov@example.org"]
viewers = ["*@example.org"]
"""
OWNED = REGISTRY.replace(
    'approved_teams = ["support-l1"]',
    'approved_teams = ["support-l1"]\nowners = ["ana@example.org", "bo@example.org"]',
)


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Org:
    clean_env(monkeypatch)
    org = Org(tmp_path, ACCESS + OWNED)
    for week in ("2026-W45", "2026-W46", "2026-W47"):
        org.usage("support-triage", week, 150)
        org.usage("hr-assistant", week, 120, use_case="policy_question")
    return org


@pytest.fixture
def ctx(org: Org) -> Context:
    return load_context(org.config, org.db)


def person(ctx: Context, email: str) -> Identity:
    return resolve(ctx.registry, name=email.split("@")[0].title(), email=email)


def submit(
    ctx: Context, identity: Identity, decision: str, deployment: str = "support-triage"
) -> DecisionRecord | Proposal:
    with connect(ctx.db) as conn:
        return submit_decision(
            conn, ctx, identity=identity, deployment=deployment, week="2026-W47", decision=decision,
            rationale=f"{decision}: the numbers say so", attendees=["Vendor"], supersede=True,
        )  # fmt: skip


def records(ctx: Context) -> list[tuple]:
    with connect(ctx.db, read_only=True) as conn:
        return conn.execute(
            "SELECT seq, decision, decided_by, decided_by_email, decided_via, countersigned_by, "
            "countersigned_by_email, countersigned_via FROM decisions ORDER BY seq"
        ).fetchall()


def test_a_high_tier_expand_waits_for_a_second_signature(ctx: Context) -> None:
    ana, bo, gov = (person(ctx, e) for e in ("ana@example.org", "bo@example.org", "gov@example.org"))
    proposal = submit(ctx, ana, "expand")
    assert isinstance(proposal, Proposal) and proposal.status == "open" and proposal.id == 1
    assert "high tier: an expand needs a second signature" in proposal.reason
    assert records(ctx) == []  # nothing in the log yet
    # the proposer cannot sign twice; a viewer cannot sign at all
    assert (
        not may_countersign(ana, proposal)
        and may_countersign(bo, proposal)
        and may_countersign(gov, proposal)
    )
    with connect(ctx.db) as conn:
        with pytest.raises(PermissionDenied, match="proposed decision 1 and cannot countersign it"):
            countersign(conn, ctx, 1, ana)
        with pytest.raises(PermissionDenied, match="may not countersign a decision for support-triage"):
            countersign(conn, ctx, 1, person(ctx, "viewer@example.org"))
        record = countersign(conn, ctx, 1, bo)
        assert proposals.get(conn, 1).status == "recorded" and proposals.get(conn, 1).seq == record.seq
        with pytest.raises(UsageError, match="decision proposal 1 is recorded, not open"):
            countersign(conn, ctx, 1, gov)
        assert verify_chain(conn).ok
    assert records(ctx) == [
        (1, "expand", "Ana", "ana@example.org", "oidc", "Bo", "bo@example.org", "oidc"),
    ]
    assert record.rationale == "expand: the numbers say so" and record.attendee_list == ["Vendor"]
    assert json.loads(record.snapshot)["deployment"] == "support-triage"
    assert record.countersigned_at is not None and record.countersigned_at >= record.decided_at


def test_returning_from_pause_needs_a_second_signature_and_pausing_does_not(ctx: Context) -> None:
    ana, gov = person(ctx, "ana@example.org"), person(ctx, "gov@example.org")
    paused = submit(ctx, ana, "pause")
    assert isinstance(paused, DecisionRecord)  # stopping harm never waits
    back = submit(ctx, ana, "continue")
    assert (
        isinstance(back, Proposal)
        and "is high tier and paused: returning it to service (continue)" in back.reason
    )
    again = submit(ctx, ana, "stop")
    assert isinstance(again, DecisionRecord)
    # record_decision refuses what needs a second signature instead of keeping it
    with connect(ctx.db) as conn, pytest.raises(CountersignRequired, match="stopped"):
        record_decision(
            conn,
            ctx,
            identity=gov,
            deployment="support-triage",
            week="2026-W47",
            decision="limit",
            rationale="r",
            supersede=True,
        )


def test_low_tier_and_ordinary_decisions_are_recorded_at_once(ctx: Context) -> None:
    assert isinstance(submit(ctx, cli_user("HR Director"), "expand", "hr-assistant"), DecisionRecord)
    assert isinstance(submit(ctx, person(ctx, "ana@example.org"), "limit"), DecisionRecord)


def test_a_registry_status_of_paused_counts_until_a_decision_is_recorded(org: Org) -> None:
    org.config.write_text(
        org.config.read_text().replace('risk_tier = "high"', 'risk_tier = "high"\nstatus = "paused"')
    )
    ctx = load_context(org.config, org.db)
    assert isinstance(submit(ctx, person(ctx, "gov@example.org"), "limit"), Proposal)


def test_withdraw_by_the_proposer_or_governance_only(ctx: Context) -> None:
    ana, bo, gov = (person(ctx, e) for e in ("ana@example.org", "bo@example.org", "gov@example.org"))
    submit(ctx, ana, "expand")
    submit(ctx, ana, "expand")
    with connect(ctx.db) as conn:
        with pytest.raises(PermissionDenied, match="its proposer .* or governance may"):
            withdraw(conn, ctx, 1, bo)
        assert withdraw(conn, ctx, 1, ana).status == "withdrawn"
        assert withdraw(conn, ctx, 2, gov).status == "withdrawn"
        assert proposals.listed(conn) == []
    assert records(ctx) == []


def test_a_proposal_overtaken_by_a_newer_decision_is_refused(ctx: Context) -> None:
    ana, gov = person(ctx, "ana@example.org"), person(ctx, "gov@example.org")
    submit(ctx, ana, "expand")
    submit(ctx, gov, "limit")  # recorded meanwhile, on newer evidence
    with connect(ctx.db) as conn, pytest.raises(UsageError, match="was overtaken: decision record 1"):
        countersign(conn, ctx, 1, gov)


def test_a_viewer_cannot_propose_either(ctx: Context) -> None:
    with pytest.raises(
        PermissionDenied, match="Viewer <viewer@example.org> \\(viewer\\) may not record a decision"
    ):
        submit(ctx, person(ctx, "viewer@example.org"), "expand")
    with connect(ctx.db, read_only=True) as conn:
        assert proposals.listed(conn, status=None) == []


# --- from the command line -----------------------------------------------------------------------------

EXPAND = ["decide", "--deployment", "support-triage", "--week", "2026-W47", "--decision", "expand"]


def test_the_command_line_proposes_countersigns_and_verify_says_who(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    assert org.run(*EXPAND, "--rationale", "steady for a quarter", "--by", "Ana") == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "NOT YET RECORDED — support-triage is high tier: an expand needs a second signature"
    )
    assert f"kept as decision proposal 1: support-triage 2026-W47 EXPAND by Ana (OS user {os_user()})" in out
    assert "postlaunch countersign 1 --by NAME" in out
    assert org.run("countersign") == 0
    listing = capsys.readouterr().out
    assert listing.startswith(f"1: support-triage 2026-W47 EXPAND proposed by Ana (OS user {os_user()}) at ")
    assert "rationale: steady for a quarter" in listing
    # the same name again is the same person
    assert org.run("countersign", "1", "--by", " ana ") == 1
    assert (
        f"ana (OS user {os_user()}) proposed decision 1 and cannot countersign it" in capsys.readouterr().err
    )
    assert org.run("countersign", "1") == 2
    assert "--by is empty" in capsys.readouterr().err
    assert org.run("countersign", "7", "--by", "Bo") == 2
    assert "no decision proposal 7; open proposals: 1" in capsys.readouterr().err
    assert org.run("countersign", "1", "--by", "Governance lead") == 0
    assert capsys.readouterr().out.startswith(
        "recorded decision 1: support-triage 2026-W47 EXPAND by Ana, countersigned by Governance lead "
        f"(OS user {os_user()}); hash "
    )
    assert org.run("countersign") == 0
    assert capsys.readouterr().out == "no decision waits for a countersignature\n"
    assert org.run("verify", "--signatures") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == [
        "signatures:",
        "  1 by the command line (name as typed in --by, with the OS user who ran it)",
        "  1 countersigned by a second person",
        f"  record 1 (support-triage 2026-W47 expand): Ana (--by; OS user {os_user()}); "
        f"countersigned by Governance lead (--by; OS user {os_user()})",
    ]


def test_the_command_line_withdraws(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert org.run(*EXPAND, "--rationale", "r", "--by", "Ana") == 0
    assert org.run("countersign", "1", "--withdraw", "--by", "Ana") == 0
    assert capsys.readouterr().out.endswith("withdrew decision proposal 1 (support-triage 2026-W47 expand)\n")
    assert org.run("countersign", "1", "--by", "Bo") == 2
    assert "decision proposal 1 is withdrawn, not open" in capsys.readouterr().err
    assert org.run("countersign", "--withdraw") == 2
    assert "name the proposal" in capsys.readouterr().err
