"""Who may do what (DESIGN §17), in the core: roles from `[access]`, deployment `owners` and the IdP's
roles claim; `authorize` for every role × action, worked out by hand; the recipients notify will use;
the registry's `[access]` refused by key; sign-in configuration and loopback; upload names and sizes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postlaunch import uploads
from postlaunch.access import (
    Identity,
    PermissionDenied,
    authorize,
    cli_user,
    expiry_from_claim,
    local_user,
    may,
    os_user,
    resolve,
    review_recipients,
)
from postlaunch.config import load_context
from postlaunch.errors import ConfigError, UsageError
from postlaunch.login import is_loopback, parse_auth, read_login
from postlaunch.registry import Registry, parse_registry
from postlaunch.settings import Settings

DEPLOYMENTS = {
    "support-triage": {
        "name": "Support ticket triage",
        "owner": "Head of Support Operations",
        "risk_tier": "high",
        "launched": "2026-06-01",
        "approved_use_cases": ["ticket_classification"],
        "owners": ["ana@example.org", "*@support.example.org"],
    },
    "hr-assistant": {
        "name": "HR policy assistant",
        "owner": "HR Operations",
        "risk_tier": "low",
        "launched": "2026-06-01",
        "approved_use_cases": ["policy_question"],
        "owners": ["hr-lead@example.org"],
    },
}
ACCESS = {
    "governance": ["gov@example.org", "*@risk.example.org"],
    "operators": ["ops@example.org"],
    "viewers": ["*@example.org"],
}


@pytest.fixture()
def registry() -> Registry:
    return parse_registry(DEPLOYMENTS, access=ACCESS)


def who(registry: Registry, email: str | None, roles: object = None) -> Identity:
    return resolve(registry, name=email or "someone", email=email, claim_roles=roles)


@pytest.mark.parametrize(
    ("email", "claim", "roles", "owns"),
    [
        ("gov@example.org", None, {"governance", "viewer"}, set()),  # viewers' *@example.org too
        ("Someone@RISK.example.org", None, {"governance"}, set()),  # pattern, any case
        ("ops@example.org", None, {"operator", "viewer"}, set()),
        ("ana@example.org", None, {"viewer"}, {"support-triage"}),
        ("bo@support.example.org", None, set(), {"support-triage"}),  # owner through a pattern only
        ("hr-lead@example.org", None, {"viewer"}, {"hr-assistant"}),
        ("guest@elsewhere.org", None, set(), set()),  # *@example.org does not match elsewhere.org
        ("x@sub.example.org", None, set(), set()),  # nor a subdomain
        ("guest@elsewhere.org", ["Governance"], {"governance"}, set()),  # the IdP's roles claim
        ("guest@elsewhere.org", "viewer operator", {"viewer", "operator"}, set()),  # a string claim
        ("guest@elsewhere.org", ["owner:hr-assistant"], set(), {"hr-assistant"}),
        (
            "guest@elsewhere.org",
            ["owner:nope", "admin", "owner"],
            set(),
            set(),
        ),  # unknown values grant nothing
        (None, ["viewer"], {"viewer"}, set()),  # no e-mail: only the claim speaks
    ],
)
def test_roles_come_from_access_owners_and_the_claim(
    registry: Registry, email: str | None, claim: object, roles: set[str], owns: set[str]
) -> None:
    identity = who(registry, email, claim)
    assert set(identity.roles) == roles
    assert set(identity.owns) == owns
    assert identity.has_any_role() == bool(roles or owns)


ACTIONS_ON = [
    ("view", "support-triage"),
    ("export", "support-triage"),
    ("decide", "support-triage"),
    ("decide", "hr-assistant"),
    ("countersign", "support-triage"),
    ("label", "support-triage"),
    ("readiness", "support-triage"),
    ("upload", None),
    ("audit", "support-triage"),
]
# person -> the actions of ACTIONS_ON they may do, worked out from DESIGN §17 by hand
ALLOWED = {
    "viewer": {"view", "export"},
    "owner": {"view", "export", "decide", "countersign", "label", "readiness", "audit"},  # on support-triage
    "operator": {"view", "export", "upload"},
    "governance": {
        "view",
        "export",
        "decide",
        "decide@hr",
        "countersign",
        "label",
        "readiness",
        "upload",
        "audit",
    },
    "nobody": set(),
}
PEOPLE = {
    "viewer": "viewer@example.org",
    "owner": "bo@support.example.org",  # owner of support-triage and nothing else
    "operator": "ops@elsewhere.org",
    "governance": "boss@risk.example.org",
    "nobody": "guest@elsewhere.org",
}


@pytest.mark.parametrize("person", list(PEOPLE))
@pytest.mark.parametrize(("action", "deployment"), ACTIONS_ON)
def test_authorize_every_role_and_action(
    registry: Registry, person: str, action: str, deployment: str | None
) -> None:
    claim = ["operator"] if person == "operator" else None
    identity = who(registry, PEOPLE[person], claim)
    name = "decide@hr" if (action, deployment) == ("decide", "hr-assistant") else action
    expected = name in ALLOWED[person]
    assert may(identity, action, deployment) is expected
    if expected:
        assert authorize(identity, action, deployment) is identity
    else:
        with pytest.raises(PermissionDenied) as err:
            authorize(identity, action, deployment)
        assert PEOPLE[person] in str(err.value)  # names who was refused


def test_a_refusal_names_who_what_and_the_role_it_needs(registry: Registry) -> None:
    with pytest.raises(PermissionDenied) as err:
        authorize(who(registry, "viewer@example.org"), "decide", "support-triage")
    assert str(err.value) == (
        "viewer@example.org (viewer) may not record a decision for support-triage: that needs owner rights "
        "on support-triage or the governance role (registry [access], [deployments.ID] owners, or the "
        "identity provider's roles claim)"
    )
    with pytest.raises(PermissionDenied, match="nobody is signed in"):
        authorize(None, "view")


def test_an_expired_sign_in_may_do_nothing(registry: Registry) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    identity = resolve(registry, name="Gov", email="gov@example.org", expires_at=past)
    assert identity.expired()
    with pytest.raises(PermissionDenied, match="expired .* sign in again"):
        authorize(identity, "view")
    fresh = resolve(registry, name="Gov", email="gov@example.org", expires_at=past + timedelta(hours=1))
    assert authorize(fresh, "decide", "support-triage") is fresh


def test_the_local_and_the_command_line_user_hold_every_role(registry: Registry) -> None:
    for identity in (local_user(), cli_user("Ana")):
        for action, deployment in ACTIONS_ON:
            assert may(identity, action, deployment)
    assert local_user().name == os_user() and local_user().source == "local"
    cli = cli_user("  Ana  ")
    assert (cli.name, cli.os_user, cli.source, cli.label) == (
        "Ana",
        os_user(),
        "cli",
        f"Ana (OS user {os_user()})",
    )


def test_expiry_claim() -> None:
    assert expiry_from_claim(1796087386) == datetime(2026, 12, 1, 1, 9, 46, tzinfo=UTC)
    assert expiry_from_claim("1796087386") == datetime(2026, 12, 1, 1, 9, 46, tzinfo=UTC)
    assert (
        expiry_from_claim(None) is None and expiry_from_claim(True) is None and expiry_from_claim("x") is None
    )


def test_review_recipients_are_addresses_not_patterns(registry: Registry) -> None:
    assert review_recipients(registry, "support-triage") == (["ana@example.org"], ["gov@example.org"])
    assert review_recipients(registry, "hr-assistant").owners == ["hr-lead@example.org"]
    with pytest.raises(UsageError, match="unknown deployment"):
        review_recipients(registry, "nope")


def test_access_is_read_from_the_registry_file(tmp_path: Path) -> None:
    config = tmp_path / "postlaunch.toml"
    config.write_text(
        'timezone = "UTC"\n[access]\ngovernance = ["Gov@Example.org"]\nviewers = ["*@example.org"]\n'
        '[deployments.d]\nname = "D"\nowner = "O"\nrisk_tier = "low"\nlaunched = 2026-01-01\n'
        'approved_use_cases = ["a"]\nowners = ["ana@example.org"]\n'
    )
    ctx = load_context(config, tmp_path / "x.duckdb")
    assert ctx.registry.access.governance == ["gov@example.org"]
    assert ctx.registry.get("d").owners == ["ana@example.org"]
    # a registry without owners records the same state as before owners existed
    assert (
        '"owners"'
        not in parse_registry({"d": {**DEPLOYMENTS["hr-assistant"], "owners": []}}).canonical_json()
    )


@pytest.mark.parametrize(
    ("access", "deployment_owners", "message"),
    [
        ({"viewers": ["ana"]}, [], "access.viewers: 'ana' is not an e-mail address or a *@domain pattern"),
        ({"governance": ["a@x.org", "A@x.org"]}, [], "access.governance: 'A@x.org' is listed twice"),
        ({"admins": ["a@x.org"]}, [], "access.admins: unknown key"),
        ({}, ["*@*.org"], "deployments.d.owners: '*@*.org' is not an e-mail address"),
    ],
)
def test_a_bad_access_table_is_named_by_key(access: dict, deployment_owners: list[str], message: str) -> None:
    deployments = {"d": {**DEPLOYMENTS["hr-assistant"], "owners": deployment_owners}}
    with pytest.raises(ConfigError) as err:
        parse_registry(deployments, "reg.toml", access=access)
    assert f"reg.toml: {message}" in str(err.value)


# --- sign-in configuration -----------------------------------------------------------------------------

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "s" * 32,
    "microsoft": {"client_id": "c", "client_secret": "s", "server_metadata_url": "https://x/.well-known"},
}


def test_a_complete_auth_section_names_its_providers() -> None:
    login = parse_auth(AUTH, "secrets.toml")
    assert login is not None and login.providers == ("microsoft",)
    assert login.label("microsoft") == "Microsoft Entra ID"
    unnamed = parse_auth({**{k: v for k, v in AUTH.items() if k != "microsoft"}, **AUTH["microsoft"]}, "s")
    assert unnamed is not None and unnamed.providers == ("default",)
    assert parse_auth(None, "s") is None and parse_auth({}, "s") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cookie_secret": ""}, "secrets.toml: [auth] lacks cookie_secret"),
        ({"microsoft": {"client_id": "c"}}, "[auth.microsoft] lacks client_secret"),
        ({"microsoft": None}, "[auth] names no identity provider"),
        (
            {"redirect_uri": "http://localhost:8501/"},
            "redirect_uri 'http://localhost:8501/' must end with /oauth2callback",
        ),
        (
            {"my_idp": {"client_id": "c", "client_secret": "s", "server_metadata_url": "u"}},
            "does not allow '_'",
        ),
    ],
)
def test_an_incomplete_auth_section_is_refused_by_key(change: dict, message: str) -> None:
    auth = {k: v for k, v in {**AUTH, **change}.items() if v is not None}
    with pytest.raises(ConfigError) as err:
        parse_auth(auth, "secrets.toml")
    assert message in str(err.value)


def test_read_login_from_a_secrets_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    assert read_login(path) is None  # no file: no sign-in
    path.write_text("[other]\nx = 1\n")
    assert read_login(path) is None  # no [auth]: no sign-in
    path.write_text(
        '[auth]\nredirect_uri = "http://h/oauth2callback"\ncookie_secret = "abcdefghijklmnopq"\n'
        '[auth.keycloak]\nclient_id = "c"\nclient_secret = "s"\nserver_metadata_url = "u"\n'
    )
    login = read_login(path)
    assert login is not None and login.providers == ("keycloak",) and login.source == str(path)
    path.write_text("[auth\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_login(path)


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        (None, False),
        ("192.168.1.20", False),
        ("dashboard.example.org", False),
    ],
)
def test_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


# --- uploads --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("usage.csv", "usage.csv"),
        ("../../etc/cron.d/usage.csv", "usage.csv"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\ana\\Desktop\\cost.csv.gz", "cost.csv.gz"),
        ("..\\..\\feedback.jsonl", "feedback.jsonl"),
        ("c:evil.csv", "evil.csv"),
        (".hidden.csv", "hidden.csv"),
        ("us\x00age\n.csv", "usage.csv"),
        ("x" * 300 + ".csv.gz", "x" * 173 + ".csv.gz"),
    ],
)
def test_upload_names_lose_their_path(name: str, safe: str) -> None:
    assert uploads.safe_name(name) == safe


@pytest.mark.parametrize("name", ["", "../", "..", "/", "C:\\", "...", "\x01"])
def test_an_upload_name_with_nothing_left_is_refused(name: str) -> None:
    with pytest.raises(UsageError, match="has no file name left"):
        uploads.safe_name(name)


def test_uploads_are_written_inside_the_data_folder_and_removed(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "data" / "org.duckdb")
    (tmp_path / "data").mkdir()
    with uploads.staged(settings, "../../../outside.csv", b"a,b\n1,2\n") as path:
        assert path.name == "outside.csv"
        assert path.is_relative_to((tmp_path / "data" / uploads.STAGING).resolve())
        assert path.read_bytes() == b"a,b\n1,2\n"
    assert not path.exists() and not path.parent.exists()
    assert not (tmp_path / "outside.csv").exists()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []


def test_an_upload_over_the_limit_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "org.duckdb", max_upload_mb=0.5)
    content = b"x" * (512 * 1024 + 1)
    with pytest.raises(UsageError) as err, uploads.staged(settings, "big.csv", content):
        pass
    assert str(err.value).startswith(
        "big.csv is 0.5 MB; the dashboard takes files up to 0.5 MB (setting max_upload_mb)"
    )
    assert not (tmp_path / uploads.STAGING).exists()
    with uploads.staged(settings, "fits.csv", content[:-1]) as path:  # exactly the limit fits
        assert path.stat().st_size == 512 * 1024
