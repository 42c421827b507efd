"""Sign-in configuration (DESIGN §17): the `[auth]` section of a Streamlit secrets file, as Streamlit's
`st.login` reads it, checked here so that `postlaunch dashboard` and the dashboard agree on whether
sign-in is configured and name what is missing. Also: which addresses are this machine only.

It never talks to an identity provider; Streamlit does (docs/login.md).
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postlaunch.errors import ConfigError
from postlaunch.settings import Settings

DEFAULT_SECRETS = Path(".streamlit") / "secrets.toml"
_SHARED = ("redirect_uri", "cookie_secret")
_PROVIDER = ("client_id", "client_secret", "server_metadata_url")
# How a provider named by its [auth.NAME] table is shown on the sign-in button.
LABELS = {
    "default": "your organization's account",
    "microsoft": "Microsoft Entra ID",
    "entra": "Microsoft Entra ID",
    "google": "Google",
    "okta": "Okta",
    "keycloak": "Keycloak",
}


@dataclass(frozen=True)
class LoginConfig:
    """A complete `[auth]` section: where it came from and the providers it names (`default` for the
    unnamed one whose keys sit in `[auth]` itself)."""

    source: str
    providers: tuple[str, ...]
    redirect_uri: str

    def label(self, provider: str) -> str:
        return LABELS.get(provider, provider.replace("-", " ").title())


def secrets_path(settings: Settings) -> Path:
    """The secrets file sign-in is read from: setting `dashboard_secrets`, else `.streamlit/secrets.toml`
    in the folder where the dashboard starts."""
    return Path(settings.dashboard_secrets) if settings.dashboard_secrets else DEFAULT_SECRETS


def parse_auth(auth: Mapping[str, Any] | None, source: str) -> LoginConfig | None:
    """The sign-in configuration of an `[auth]` section, None without one; an incomplete section is a
    ConfigError naming the file and each missing key."""
    if not auth:
        return None
    problems = [f"{source}: [auth] lacks {key}" for key in _SHARED if not str(auth.get(key) or "").strip()]
    providers: list[str] = []
    if any(key in auth for key in _PROVIDER):
        providers.append("default")
        problems += [f"{source}: [auth] lacks {key}" for key in _PROVIDER if not auth.get(key)]
    for name, table in auth.items():
        if isinstance(table, Mapping) and any(key in table for key in _PROVIDER):
            if "_" in name:
                problems.append(f"{source}: [auth.{name}]: Streamlit does not allow '_' in a provider name")
            providers.append(str(name))
            problems += [f"{source}: [auth.{name}] lacks {key}" for key in _PROVIDER if not table.get(key)]
    if not providers:
        problems.append(
            f"{source}: [auth] names no identity provider: give client_id, client_secret and "
            "server_metadata_url in [auth] or in an [auth.NAME] table (docs/login.md)"
        )
    redirect = str(auth.get("redirect_uri") or "")
    if redirect and not redirect.rstrip("/").endswith("/oauth2callback"):
        problems.append(f"{source}: [auth] redirect_uri {redirect!r} must end with /oauth2callback")
    if problems:
        raise ConfigError("sign-in is not configured completely:\n" + "\n".join(problems))
    return LoginConfig(source=source, providers=tuple(providers), redirect_uri=redirect)


def read_login(path: Path) -> LoginConfig | None:
    """The `[auth]` section of the secrets file at `path` (None when the file or the section is absent)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the secrets file: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    auth = data.get("auth")
    if auth is not None and not isinstance(auth, dict):
        raise ConfigError(f"{path}: auth must be a table ([auth])")
    return parse_auth(auth, str(path))


def is_loopback(address: str | None) -> bool:
    """Whether `address` is this machine only (`localhost`, 127.0.0.0/8, ::1). An empty address means
    every interface, which is not."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False
