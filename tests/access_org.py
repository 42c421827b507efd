"""The organization the dashboard's access tests share (DESIGN §17): the sample with `[access]` and its
people, the one identity function replaced per test, and pages opened in AppTest."""

from __future__ import annotations

import pytest
from dashboard_db import APP, SampleDb, point_at
from streamlit.testing.v1 import AppTest

from dashboard import auth
from postlaunch import db as pdb
from postlaunch import proposals
from postlaunch.access import Identity, resolve
from postlaunch.config import load_context

DRIFTING = "support-triage"  # high tier
ACCESS = """
[access]
governance = ["gov@example.org"]
operators = ["ops@example.org"]
viewers = ["*@example.org"]
"""
EMAILS = {
    "viewer": "vera@example.org",
    "owner": "ana@example.org",  # owner of support-triage
    "other owner": "hal@partner.org",  # owner of hr-assistant only, no other role
    "operator": "ops@example.org",
    "governance": "gov@example.org",
    "no role": "guest@elsewhere.org",
}


@pytest.fixture()
def org(sample_copy: SampleDb, monkeypatch: pytest.MonkeyPatch) -> SampleDb:
    """The sample with `[access]`, Ana and Bo owning support-triage, Hal owning hr-assistant."""
    text = sample_copy.config.read_text()
    text = text.replace(  # the sample's owners sign in as <role>@example.org; these people replace them
        'owners = ["head.of.support.operations@example.org"]',
        'owners = ["ana@example.org", "bo@example.org"]',
    ).replace('owners = ["hr.director@example.org"]', 'owners = ["hal@partner.org"]')
    sample_copy.config.write_text(text + ACCESS)
    point_at(monkeypatch, sample_copy.db, sample_copy.config)
    return sample_copy


def person(org: SampleDb, email: str, **kw: object) -> Identity:
    ctx = load_context(org.config, org.db)
    return resolve(ctx.registry, name=email.split("@")[0].title(), email=email, **kw)  # type: ignore[arg-type]


def as_identity(monkeypatch: pytest.MonkeyPatch, identity: Identity | None) -> None:
    """Replace the one identity function: every page and write asks it who is acting."""
    monkeypatch.setattr(auth, "current_identity", lambda: identity)


def latest_week(org: SampleDb) -> str:
    from metrics import api

    ctx = load_context(org.config, org.db)
    with pdb.connect(org.db, read_only=True) as conn:
        return str(api.latest_week(conn, ctx))


def open_page(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "views/portfolio.py" and not at.exception and "_pl_logged_in_as" in at.session_state:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def labels(at: AppTest) -> set[str]:
    return {b.label for b in at.button} | {b.label for b in at.get("download_button")}


def text_of(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [e.value for e in at.error] + [i.value for i in at.info] + [t.value for t in at.title]
    return "\n".join(str(p) for p in parts)


def propose_expand(org: SampleDb, week: str, by: str = "bo@example.org") -> int:
    """An open proposal on support-triage, by Bo (an owner), for the countersign column."""
    from actions.decide import submit_decision

    ctx = load_context(org.config, org.db)
    with pdb.connect(org.db) as conn:
        proposal = submit_decision(
            conn,
            ctx,
            identity=person(org, by),
            deployment=DRIFTING,
            week=week,
            decision="expand",
            rationale="ready",
        )
    assert isinstance(proposal, proposals.Proposal)
    return proposal.id
