"""Who may do what on the dashboard (DESIGN §17), with AppTest: every role × action through the one
identity function (`dashboard.auth.current_identity`, replaced per test), what each role is offered
(a form it may not use is absent, not disabled), the refusal at the server of a crafted write, sign-in
through `st.user` (seeded by AppTest) with the ID token's expiry, the local user without sign-in, the
access log on Evidence, and uploads (size limit, path stripping, the signed-in uploader)."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dashboard_db import (  # noqa: F401
    APP,
    SampleDb,
    fresh_streamlit_caches,
    page_errors,
    point_at,
    sample_copy,
    sample_db,
)
from streamlit.testing.v1 import AppTest

from dashboard import audit, auth, writes
from postlaunch import accesslog, proposals
from postlaunch import db as pdb
from postlaunch.access import Identity, PermissionDenied, os_user, resolve
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


# What each person is offered, worked out from DESIGN §17 by hand (support-triage's Weekly review, the
# Data page, the Evidence page).
OFFERED = {
    #                view   export decide countersign upload audit
    "viewer": (True, True, False, False, False, False),
    "owner": (True, True, True, True, False, True),
    "other owner": (True, True, False, False, False, True),  # reads everything, decides on hr-assistant only
    "operator": (True, True, False, False, True, False),
    "governance": (True, True, True, True, True, True),
    "no role": (False, False, False, False, False, False),
}
ACTIONS = ("view", "export", "decide", "countersign", "upload", "audit")


@pytest.mark.parametrize("role", list(OFFERED))
def test_each_role_is_offered_exactly_its_actions(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    week = latest_week(org)
    propose_expand(org, week)
    identity = person(org, EMAILS[role])
    as_identity(monkeypatch, identity)
    expected = dict(zip(ACTIONS, OFFERED[role], strict=True))
    review = open_page("views/weekly_review.py", deployment=DRIFTING, week=week)
    seen = {
        "view": any("Support ticket triage" in t.value for t in review.title),
        "export": "Download review pack (HTML)" in labels(review),
        "decide": "Record decision" in labels(review),
        "countersign": "Countersign and record" in labels(review),
    }
    if not expected["view"]:  # no role: turned away before any page
        assert "you have no role here" in text_of(review) and "Sign out" in labels(review)
        assert not review.get("segmented_control")
    data_page = open_page("views/data.py")
    seen["upload"] = bool(data_page.get("file_uploader")) and "Load" in labels(data_page)
    evidence = open_page("views/evidence.py")
    seen["audit"] = any(s.value == "Access log" for s in evidence.subheader)
    assert seen == expected
    if expected["view"] and not expected["decide"]:  # absent, and said why
        assert "are recorded by its owners (Head of Support Operations) or governance" in text_of(review)
        assert not review.get("segmented_control") and not review.get("text_area")
    if expected["view"]:
        assert f"Signed in as **{identity.name}**" in text_of(review)
        assert not page_errors(review)


@pytest.mark.parametrize("role", list(OFFERED))
def test_the_server_refuses_what_a_role_may_not_do(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    """A crafted session — a write sent whatever the page offered — is refused by the write itself."""
    week = latest_week(org)
    proposal = propose_expand(org, week)
    identity = person(org, EMAILS[role])
    as_identity(monkeypatch, identity)
    may_decide, may_sign, may_upload = OFFERED[role][2], OFFERED[role][3], OFFERED[role][4]
    outcomes = {}
    for action, call in (
        ("countersign", lambda: writes.countersign(proposal)),  # first: a decision after it would overtake it
        (
            "decide",
            lambda: writes.submit_decision(
                DRIFTING, week, "limit", "crafted", [], None, None, supersede=True
            ),
        ),
        ("upload", lambda: writes.ingest_upload("changes", "c.csv", b"timestamp,deployment,kind,summary\n")),
    ):
        try:
            call()
            outcomes[action] = True
        except PermissionDenied as exc:
            assert identity.email in str(exc)
            outcomes[action] = False
    assert outcomes == {"countersign": may_sign, "decide": may_decide, "upload": may_upload}
    with pdb.connect(org.db, read_only=True) as conn:
        decided = conn.execute("SELECT count(*) FROM decisions").fetchone()
        runs = conn.execute("SELECT who FROM ingest_runs WHERE file LIKE '%c.csv'").fetchall()
    assert decided == ((int(may_decide) + int(may_sign)),)
    assert runs == ([(identity.label,)] if may_upload else [])


def test_a_viewer_cannot_record_a_decision_with_a_form_left_open(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana fills the form; before she submits, the session is a viewer's (her role revoked, or a forged
    session): the submission records nothing, and the write would refuse it too."""
    week = latest_week(org)
    as_identity(monkeypatch, person(org, "ana@example.org"))
    at = open_page("views/weekly_review.py", deployment=DRIFTING, week=week)
    at.segmented_control(key=f"decision-{DRIFTING}-{week}").set_value("limit")
    at.text_area(key=f"rationale-{DRIFTING}-{week}").input("crafted after the role was revoked")
    as_identity(monkeypatch, person(org, "vera@example.org"))
    (button,) = [b for b in at.button if b.label == "Record decision"]
    at = button.click().run()
    assert not at.exception and "Record decision" not in labels(at)
    with pytest.raises(
        PermissionDenied, match=r"Vera <vera@example.org> \(viewer\) may not record a decision"
    ):
        writes.submit_decision(DRIFTING, week, "limit", "crafted", [], None, None)
    with pdb.connect(org.db, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM decisions").fetchone() == (0,)
        assert proposals.listed(conn, status=None) == []


def test_decisions_carry_the_signed_in_identity_and_a_second_signature(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    week = latest_week(org)
    as_identity(monkeypatch, person(org, "ana@example.org"))
    at = open_page("views/weekly_review.py", deployment=DRIFTING, week=week)
    assert "**Decided by**  \nAna (ana@example.org)" in text_of(at)
    assert not [t for t in at.text_input if t.label == "Decided by"]  # never typed
    at.segmented_control(key=f"decision-{DRIFTING}-{week}").set_value("expand")
    at.text_area(key=f"rationale-{DRIFTING}-{week}").input("Scope is back inside; expand to L2.")
    (button,) = [b for b in at.button if b.label == "Record decision"]
    at = button.click().run()
    assert any("waits for a second signature as proposal #1" in s.value for s in at.success)
    assert "Countersign and record" not in labels(at) and "Withdraw" in labels(at)  # not her own
    as_identity(monkeypatch, person(org, "gov@example.org"))
    at = open_page("views/weekly_review.py", deployment=DRIFTING, week=week)
    assert "Waiting for a second signature: EXPAND" in text_of(at)
    (sign,) = [b for b in at.button if b.label == "Countersign and record"]
    at = sign.click().run()
    assert any(
        "decided by Ana (ana@example.org) and countersigned by Gov (gov@example.org)" in s.value
        for s in at.success
    )
    with pdb.connect(org.db, read_only=True) as conn:
        row = conn.execute(
            "SELECT decision, decided_by, decided_by_email, decided_via, countersigned_by, countersigned_by_email "
            "FROM decisions"
        ).fetchall()
    assert row == [("expand", "Ana", "ana@example.org", "oidc", "Gov", "gov@example.org")]
    at.switch_page("views/evidence.py").run()
    log = next(d.value for d in at.dataframe if "countersigned_by" in d.value.columns)
    assert list(log["decided_by"]) == ["Ana <ana@example.org>"]
    assert list(log["countersigned_by"]) == ["Gov <gov@example.org>"]


# --- sign-in through st.user ----------------------------------------------------------------------------

AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "a-long-random-secret-for-the-tests",
    "client_id": "postlaunch",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9400/.well-known/openid-configuration",
}


def signed_in_app(user: dict[str, object]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = user
    return at.run()


def test_nobody_signed_in_sees_only_the_sign_in_button(org: SampleDb) -> None:
    at = signed_in_app({"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in with your organization's account"]
    assert not at.dataframe and "Portfolio" not in [t.value for t in at.title]


def test_the_identity_comes_from_the_id_token(org: SampleDb) -> None:
    exp = int(time.time()) + 3600
    at = signed_in_app(
        {
            "is_logged_in": True,
            "email": "Guest@Elsewhere.org",
            "name": "Gus Guest",
            "exp": exp,
            "roles": ["governance"],
        }
    )
    assert not at.exception and not page_errors(at)
    assert "Signed in as **Gus Guest** (guest@elsewhere.org)  \ngovernance · until" in text_of(at)
    assert [t.value for t in at.title] == ["Portfolio"]
    assert auth.login_config() is None  # outside the run, no secrets: the local user again


def test_an_unverified_e_mail_grants_no_role(org: SampleDb) -> None:
    """A provider that says it did not verify the address (self-registration) cannot make its user
    governance by claiming governance's e-mail."""
    at = signed_in_app(
        {
            "is_logged_in": True,
            "email": "gov@example.org",
            "email_verified": False,
            "name": "Mallory",
            "exp": int(time.time()) + 60,
        }
    )
    assert "You are signed in as **Mallory**, but you have no role here" in text_of(at)


def test_an_expired_id_token_signs_the_person_out(org: SampleDb) -> None:
    at = signed_in_app(
        {"is_logged_in": True, "email": "gov@example.org", "name": "Gov", "exp": int(time.time()) - 5}
    )
    assert not at.exception
    assert at.user == {"is_logged_in": False}  # st.logout() was called
    assert not at.dataframe and "Portfolio" not in [t.value for t in at.title]
    at.run()
    assert [b.label for b in at.button] == ["Sign in with your organization's account"]


def test_a_signed_in_person_without_a_role_is_turned_away(org: SampleDb) -> None:
    at = signed_in_app(
        {"is_logged_in": True, "email": "guest@elsewhere.org", "name": "Gus", "exp": int(time.time()) + 60}
    )
    assert "You are signed in as **Gus (guest@elsewhere.org)**, but you have no role here" in text_of(at)
    assert [b.label for b in at.button] == ["Sign out"] and not at.dataframe


def test_an_incomplete_auth_section_fails_closed(org: SampleDb) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {k: v for k, v in AUTH.items() if k != "cookie_secret"}
    at.run()
    assert any("[auth] lacks cookie_secret" in e.value for e in at.error)
    assert not at.dataframe and not at.button  # never the local user with every role


def test_without_sign_in_the_sidebar_names_the_local_user(org: SampleDb) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert any(
        f"**Local user {os_user()}** · every role · this machine only" in i.value for i in at.sidebar.info
    )
    assert [t.value for t in at.title] == ["Portfolio"]


# --- the access log ------------------------------------------------------------------------------------


def test_views_exports_and_decisions_are_in_the_access_log(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    week = latest_week(org)
    ana = person(org, "ana@example.org")
    as_identity(monkeypatch, ana)
    at = open_page("views/weekly_review.py", deployment=DRIFTING, week=week)
    at.segmented_control(key=f"decision-{DRIFTING}-{week}").set_value("limit")
    at.text_area(key=f"rationale-{DRIFTING}-{week}").input("Limit to L1.")
    (button,) = [b for b in at.button if b.label == "Record decision"]
    at = button.click().run()
    at.run()  # a rerun of the same view is not a new view
    audit.flush()
    ctx = load_context(org.config, org.db)
    with accesslog.connect(ctx.settings) as conn:
        rows = conn.execute(
            "SELECT identity, email, via, action, deployment, detail FROM access_log ORDER BY ts"
        ).fetchall()
    assert rows == [
        ("Ana <ana@example.org>", "ana@example.org", "oidc", "login", None, "signed in"),
        ("Ana <ana@example.org>", "ana@example.org", "oidc", "view", None, "portfolio"),
        ("Ana <ana@example.org>", "ana@example.org", "oidc", "view", DRIFTING, f"review {week}"),
        (
            "Ana <ana@example.org>",
            "ana@example.org",
            "oidc",
            "decide",
            DRIFTING,
            f"limit for {week} (record 1)",
        ),
    ]
    # Governance reads it on Evidence, filtered by person and action
    as_identity(monkeypatch, person(org, "gov@example.org"))
    at = open_page("views/evidence.py")
    table = next(d.value for d in at.dataframe if "via" in d.value.columns)
    assert set(table["action"]) == {"login", "view", "decide"} and set(table["email"]) == {
        "ana@example.org",
        "gov@example.org",
    }
    at.text_input(key="access-person").input("ana").run()
    at.selectbox(key="access-action").select("decide").run()
    table = next(d.value for d in at.dataframe if "via" in d.value.columns)
    assert list(table["detail"]) == [f"limit for {week} (record 1)"]
    # the pack download is an export (it runs on the download's own thread)
    from dashboard import data

    made = []
    maker = data.pack_maker(DRIFTING, week, on_made=lambda: made.append(True))
    assert "<html" in maker()[:200].lower() and made == [True]


def test_an_owner_reads_only_their_deployments_access_records(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = load_context(org.config, org.db)
    gov = person(org, "gov@example.org")
    accesslog.record(
        ctx.settings,
        [
            accesslog.event(gov, "view", DRIFTING, "review"),
            accesslog.event(gov, "view", "hr-assistant", "review"),
        ],
    )
    as_identity(monkeypatch, person(org, "hal@partner.org"))
    at = open_page("views/evidence.py")
    table = next(d.value for d in at.dataframe if "via" in d.value.columns)
    assert set(table["deployment"]) == {"hr-assistant"}
    assert "As an owner you see the records of hr-assistant." in text_of(at)


# --- uploads --------------------------------------------------------------------------------------------

CHANGES = (
    b"timestamp,deployment,kind,summary,changed_by,approved_by\n"
    b"2026-11-18T09:00:00Z,support-triage,prompt,Tightened the refusal prompt,Ops,Head of Support Operations\n"
)


def _upload(at: AppTest, name: str, content: bytes) -> AppTest:
    (kind,) = [s for s in at.selectbox if s.label == "Kind or adapter"]
    kind.select("changes")
    at.file_uploader[0].upload(name, content, "text/csv")
    (load,) = [b for b in at.button if b.label == "Load"]
    return load.click().run()


def test_an_upload_loses_its_path_and_carries_the_uploader(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = person(org, "ops@example.org")
    as_identity(monkeypatch, ops)
    at = _upload(open_page("views/data.py"), "../../../../tmp/evil/changes.csv", CHANGES)
    assert not at.exception
    summary = next(d.value for d in at.dataframe if "quarantined" in d.value.columns)
    assert summary.to_dict("records")[0]["file"] == "changes.csv" and summary["loaded"].sum() == 1
    with pdb.connect(org.db, read_only=True) as conn:
        (file, who) = conn.execute(
            "SELECT file, who FROM ingest_runs WHERE kind = 'changes' ORDER BY started_at DESC"
        ).fetchone()
    staging = org.db.resolve().parent / ".postlaunch-uploads"
    assert Path(file).name == "changes.csv" and Path(file).is_relative_to(staging)
    assert who == "Ops <ops@example.org>"
    assert (
        not Path("/tmp/evil/changes.csv").exists() and list(staging.iterdir()) == []
    )  # removed after loading
    audit.flush()
    ctx = load_context(org.config, org.db)
    with accesslog.connect(ctx.settings) as conn:
        (detail,) = conn.execute("SELECT detail FROM access_log WHERE action = 'upload'").fetchone()
    assert detail == "changes.csv as changes: loaded, rows=1 loaded=1 duplicates=0 quarantined=0"


def test_an_upload_over_the_size_limit_is_refused_with_a_clear_message(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.config.write_text("max_upload_mb = 0.0001\n" + org.config.read_text())  # about 105 bytes
    as_identity(monkeypatch, person(org, "gov@example.org"))
    at = open_page("views/data.py")
    assert "Up to 0.0001 MB per file (setting max_upload_mb)" in at.file_uploader[0].help
    at = _upload(at, "changes.csv", CHANGES)
    (message,) = [e.value for e in at.error]
    assert message.startswith("`changes.csv`: rows=0 loaded=0 duplicates=0 quarantined=0 — **not loaded**: ")
    assert (
        "changes.csv is 0.0 MB; the dashboard takes files up to 0.0001 MB (setting max_upload_mb)" in message
    )
    with pdb.connect(org.db, read_only=True) as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM ingest_runs WHERE file LIKE '%postlaunch-uploads%'"
            ).fetchone()[0]
            == 0
        )


def test_identity_expiry_is_checked_by_every_write(org: SampleDb, monkeypatch: pytest.MonkeyPatch) -> None:
    expired = person(org, "gov@example.org", expires_at=datetime.now(UTC) - timedelta(minutes=1))
    as_identity(monkeypatch, expired)
    with pytest.raises(PermissionDenied, match="expired"):
        writes.submit_decision(DRIFTING, latest_week(org), "limit", "r", [], None, None)
