"""Who is looking (DESIGN §17): sign-in with Streamlit's own `st.login` / `st.user` / `st.logout` when
the secrets' `[auth]` section configures it, else one local user with every role on this machine only.

`current_identity()` is the one function that says who the person is; every page and every write asks
it (tests replace it). `gate()` runs before any page: it shows the sign-in screen, signs out a person
whose ID token has expired (Streamlit does not check), turns away a person without a role, and refuses
to serve without sign-in beyond the loopback address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from dashboard import audit, state
from postlaunch import access
from postlaunch.access import Identity
from postlaunch.login import LoginConfig, is_loopback, parse_auth


def login_config() -> LoginConfig | None:
    """The `[auth]` section Streamlit reads (None without one); an incomplete one is a ConfigError, so
    a half-configured dashboard fails closed instead of falling back to the local user."""
    try:
        auth = st.secrets.get("auth")
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return None
    plain: Mapping[str, Any] | None = (
        auth.to_dict() if auth is not None and hasattr(auth, "to_dict") else auth
    )
    return parse_auth(plain, "the dashboard's secrets ([auth])")


def current_identity() -> Identity | None:
    """The person using this session: the signed-in identity (name, e-mail, roles from the registry and
    the ID token's roles claim, the token's expiry), the local user when sign-in is not configured, or
    None when sign-in is configured and nobody is signed in."""
    ctx = state.context()
    if login_config() is None:
        return access.local_user()
    if not st.user.get("is_logged_in"):
        return None
    claims = st.user.to_dict()
    email = claims.get("email") or claims.get("preferred_username") or claims.get("upn")
    if claims.get("email_verified") is False:  # an address the provider did not verify grants no role
        email = None
    return access.resolve(
        ctx.registry,
        name=str(claims.get("name") or email or claims.get("sub") or ""),
        email=str(email) if email and "@" in str(email) else None,
        claim_roles=claims.get(ctx.settings.roles_claim),
        source="oidc",
        expires_at=access.expiry_from_claim(claims.get("exp")),
        issued_at=access.expiry_from_claim(claims.get("iat")),
    )


def may(action: str, deployment: str | None = None) -> bool:
    """Whether the current person may do `action` (pages offer only what this allows)."""
    identity = current_identity()
    return identity is not None and access.may(identity, action, deployment)


def _serves_loopback_only() -> bool:
    if st.get_option("global.appTest"):  # AppTest runs the script without a server
        return True
    return is_loopback(st.get_option("server.address"))


def _sign_in_screen(login: LoginConfig) -> None:
    st.title("postlaunch")
    st.markdown(
        "The weekly reviews of your organization's AI deployments. Sign in with your organization's "
        "account; what you may do here (read, decide, load data) follows from your role."
    )
    st.caption(
        "A sign-in lasts as long as the identity provider's ID token (often an hour); after that you are "
        "signed out and sign in again."
    )
    for provider in login.providers:
        if st.button(f"Sign in with {login.label(provider)}", type="primary", key=f"login-{provider}"):
            st.login(None if provider == "default" else provider)


def _no_role(identity: Identity) -> None:
    st.title("postlaunch")
    st.error(
        f"You are signed in as **{identity.shown}**, but you have no role here. Ask governance to add your "
        "e-mail to `[access]` (viewers, operators, governance) or to a deployment's `owners` in the "
        "registry, or to grant a role through the identity provider's roles claim."
    )
    if st.button("Sign out"):
        st.logout()


def _sidebar(identity: Identity) -> None:
    if identity.source == "local":
        st.sidebar.info(
            f"**Local user {identity.name}** · every role · this machine only. No sign-in is configured "
            "(docs/login.md), so whoever opens this page on this machine acts as this user.",
            icon=":material/person:",
        )
        return
    until = f" · until {identity.expires_at:%H:%M} UTC" if identity.expires_at else ""
    st.sidebar.markdown(
        f":material/account_circle: Signed in as **{identity.name}**"
        + (f" ({identity.email})" if identity.email and identity.email != identity.name else "")
        + f"  \n{identity.role_summary()}{until}"
    )
    if st.sidebar.button("Sign out", key="sign-out", icon=":material/logout:"):
        st.logout()


def gate() -> Identity:
    """Let the session in, or draw why not and stop the run."""
    ctx = state.context()
    login = login_config()
    if login is None and not _serves_loopback_only():
        st.error(
            f"This dashboard listens on {st.get_option('server.address') or 'every interface'} without sign-in "
            "configured, so it serves nothing: configure sign-in (docs/login.md) or start it with "
            "`postlaunch dashboard`, which listens on 127.0.0.1."
        )
        st.stop()
    identity = current_identity()
    if identity is None:
        assert login is not None
        _sign_in_screen(login)
        st.stop()
    assert identity is not None
    if identity.expired():  # Streamlit keeps its cookie for 30 days; the token's own expiry rules
        st.logout()
        st.stop()
    if not identity.has_any_role():
        _no_role(identity)
        st.stop()
    audit.login_once(
        ctx.settings, identity, "signed in" if identity.source == "oidc" else "local user (no sign-in)"
    )
    _sidebar(identity)
    return identity
