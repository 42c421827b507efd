"""Who may do what on the dashboard (DESIGN §17), with AppTest: every role × action through the one
identity function (`dashboard.auth.current_identity`, replaced per test), what each role is offered
(a form it may not use is absent, not disabled), the refusal at the server of a crafted write, sign-in
through `st.user` (seeded by AppTest) with the ID token's expiry, and the local user without sign-in.
The access log and uploads: tests/test_dashboard_access_log.py."""

# The sample fixtures are imported from dashboard_db and access_org; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import time

import pytest
from access_org import (  # noqa: F401
    DRIFTING,
    EMAILS,
    as_identity,
    labels,
    latest_week,
    open_page,
    org,
    person,
    propose_expand,
    text_of,
)
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

from dashboard import auth, writes
from postlaunch import db as pdb
from postlaunch import proposals
from postlaunch.access import PermissionDenied, os_user

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
