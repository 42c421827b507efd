"""Sign-in for real (DESIGN §17): Debian's chromium signs in through Streamlit's OIDC login against a
local OpenID provider (`oidc-provider-mock` from PyPI, started here with subprocess.Popen on 127.0.0.1
and stopped by its PID) — as a viewer, then an owner, then governance, each seeing the pages and forms
of their role; an ID token that expires signs the person out. Screenshots of the Weekly review as owner
and as viewer go to tests/screenshots/ (git-ignored; docs/screenshots/ keeps reviewed copies)."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from browser_env import (
    chromium_page,
    dashboard_server,
    free_port,
    no_error_on,
    require_chromium,
    screenshot,
    served,
    wait_healthy,
)
from dashboard_db import SampleDb, sample_copy, sample_db  # noqa: F401

from metrics import api
from postlaunch import db as pdb
from postlaunch.config import load_context

pytestmark = pytest.mark.browser
DRIFTING = "support-triage"
USERS = [
    {"sub": "vera@example.org", "email": "vera@example.org", "name": "Vera Viewer"},
    {"sub": "ana@example.org", "email": "ana@example.org", "name": "Ana Owner"},
    # governance through the identity provider's roles claim, not through [access]
    {"sub": "gus@partner.org", "email": "gus@partner.org", "name": "Gus Governance", "roles": ["governance"]},
]
ACCESS = '\n[access]\nviewers = ["*@example.org"]\n'
SIGN_IN = "Sign in with your organization's account"
WAIT = 60_000


@contextmanager
def oidc_provider(folder: Path, token_max_age: int) -> Iterator[str]:
    """oidc-provider-mock on a free loopback port with USERS predefined; yields its issuer URL."""
    port = free_port()
    args = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--token-max-age", str(token_max_age)]
    for user in USERS:
        args += ["--user-claims", json.dumps(user)]
    with served(args, folder, f"oidc-{port}") as process:
        issuer = f"http://127.0.0.1:{port}"
        wait_healthy(
            issuer, process, folder / f"oidc-{port}.log", timeout=30, path="/.well-known/openid-configuration"
        )
        yield issuer


def secrets_for(folder: Path, issuer: str) -> Path:
    """The Streamlit secrets file whose [auth] section points at the local provider."""
    path = folder / "secrets" / "secrets.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'  # Streamlit fills in its port
        'cookie_secret = "a-long-random-cookie-secret-for-the-browser-test"\n'
        'client_id = "postlaunch"\n'
        'client_secret = "not-so-secret"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
    )
    return path


@contextmanager
def signed_in_dashboard(sample: SampleDb, folder: Path, token_max_age: int) -> Iterator[str]:
    text = sample.config.read_text().replace(  # Ana owns support-triage instead of the sample's owner
        'owners = ["head.of.support.operations@example.org"]', 'owners = ["ana@example.org"]'
    )
    assert 'owners = ["ana@example.org"]' in text
    sample.config.write_text(text + ACCESS)
    with oidc_provider(folder, token_max_age) as issuer:
        secrets = secrets_for(folder, issuer)
        with dashboard_server(
            sample.db, sample.config, folder, args=["--secrets.files", str(secrets)]
        ) as base:
            yield base


def sign_in(p: Any, base: str, sub: str) -> None:
    p.goto(f"{base}/")
    p.get_by_role("button", name=SIGN_IN).click(timeout=WAIT)
    p.wait_for_url("**/oauth2/authorize**", timeout=WAIT)
    p.get_by_placeholder("sub").fill(sub)
    p.get_by_role("button", name="Authorize", exact=True).click()
    p.get_by_text("Signed in as").wait_for(timeout=WAIT)


def sign_out(p: Any) -> None:
    p.get_by_role("button", name="Sign out").click()
    p.get_by_role("button", name="End session").click(timeout=WAIT)  # the provider's end-session form
    p.get_by_role("button", name=SIGN_IN).wait_for(timeout=WAIT)


def open_review(p: Any, base: str, week: str) -> None:
    p.goto(f"{base}/review?deployment={DRIFTING}&week={week}")
    p.get_by_text("Recommendation:").first.wait_for(timeout=WAIT)
    p.get_by_role("heading", name="Decision").wait_for(timeout=WAIT)
    p.get_by_text("Download review pack (HTML)").first.wait_for(timeout=WAIT)  # the page's last element
    no_error_on(p)


def test_sign_in_as_viewer_owner_and_governance(sample_copy: SampleDb, tmp_path: Path) -> None:
    require_chromium()
    ctx = load_context(sample_copy.config, sample_copy.db)
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        week = api.latest_week(conn, ctx)
    with signed_in_dashboard(sample_copy, tmp_path, 3600) as base, chromium_page(tmp_path / "home") as p:
        # Nobody signed in: only the sign-in button, no data.
        p.goto(f"{base}/review?deployment={DRIFTING}&week={week}")
        p.get_by_role("button", name=SIGN_IN).wait_for(timeout=WAIT)
        assert "Recommendation" not in p.inner_text("body")

        # A viewer reads; the decision form, the upload and the access log are absent.
        sign_in(p, base, "vera@example.org")
        open_review(p, base, week)
        body = p.inner_text("body")
        assert "Signed in as Vera Viewer (vera@example.org)" in body and "viewer · until" in body
        assert p.get_by_role("button", name="Record decision").count() == 0
        assert "are recorded by its owners (Head of Support Operations) or governance" in body
        screenshot(p, "weekly_review_viewer")
        p.goto(f"{base}/data")
        p.get_by_text("Loading data is for operators and governance").wait_for(timeout=WAIT)
        assert p.locator("[data-testid='stFileUploader']").count() == 0
        sign_out(p)

        # The owner decides: an expand on a high-tier deployment waits for a second signature.
        sign_in(p, base, "ana@example.org")
        open_review(p, base, week)
        body = p.inner_text("body")
        assert "Signed in as Ana Owner (ana@example.org)" in body and "owner of support-triage" in body
        assert "Decided by\nAna Owner (ana@example.org)" in body  # who is signed in, not a text box
        screenshot(p, "weekly_review_owner")
        p.get_by_role("radio", name="expand").or_(
            p.get_by_role("button", name="expand", exact=True)
        ).first.click()
        p.get_by_label("Rationale").fill(
            "Scope is back inside the approved use for four weeks; expand to L2."
        )
        p.get_by_role("button", name="Record decision").click()
        p.get_by_text("waits for a second signature as proposal #1").wait_for(timeout=WAIT)
        assert p.get_by_role("button", name="Countersign and record").count() == 0  # not her own
        p.goto(f"{base}/evidence")
        p.get_by_role("heading", name="Access log").wait_for(timeout=WAIT)
        sign_out(p)

        # Governance (from the roles claim) countersigns; the record carries both signatures.
        sign_in(p, base, "gus@partner.org")
        open_review(p, base, week)
        assert "Waiting for a second signature: EXPAND" in p.inner_text("body")
        p.get_by_role("button", name="Countersign and record").click()
        p.get_by_text("countersigned by Gus Governance (gus@partner.org)").wait_for(timeout=WAIT)
        p.goto(f"{base}/data")
        p.locator("[data-testid='stFileUploader']").first.wait_for(timeout=WAIT)
        p.goto(f"{base}/evidence")
        p.get_by_text("decision log verified: 1 record,").wait_for(timeout=WAIT)
        p.get_by_role("heading", name="Access log").wait_for(timeout=WAIT)
        screenshot(p, "evidence_governance")
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        rows = conn.execute(
            "SELECT decision, decided_by, decided_by_email, countersigned_by, countersigned_by_email FROM decisions"
        ).fetchall()
    assert rows == [("expand", "Ana Owner", "ana@example.org", "Gus Governance", "gus@partner.org")]


def test_an_expired_id_token_signs_the_person_out(sample_copy: SampleDb, tmp_path: Path) -> None:
    require_chromium()
    max_age = 25
    with signed_in_dashboard(sample_copy, tmp_path, max_age) as base, chromium_page(tmp_path / "home") as p:
        sign_in(p, base, "gus@partner.org")
        signed_at = time.monotonic()
        p.get_by_role("heading", name="Portfolio").wait_for(timeout=WAIT)
        time.sleep(max(0.0, max_age + 2 - (time.monotonic() - signed_at)))
        p.get_by_test_id("stSidebarNavItems").get_by_role(
            "link", name="Weekly review"
        ).click()  # what they do next
        p.get_by_role("button", name="End session").wait_for(
            timeout=WAIT
        )  # Streamlit's st.logout → the provider
        p.get_by_role("button", name="End session").click()
        p.get_by_role("button", name=SIGN_IN).wait_for(timeout=WAIT)
        assert "Signed in as" not in p.inner_text("body")
