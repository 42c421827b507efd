"""Who may do what (DESIGN §17): the identity of the person acting, the roles the registry's `[access]`,
the deployments' `owners` and an identity provider's roles claim grant them, and `authorize`, the one
permission check that every write path (and every page that offers a write) calls.

It reads no database and knows nothing of Streamlit: the dashboard and the CLI build an `Identity`
and pass it down; the actions call `authorize` before they write.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Literal, NamedTuple

from postlaunch.errors import PostlaunchError
from postlaunch.registry import Registry

ROLES: tuple[str, ...] = ("viewer", "owner", "operator", "governance")
# What the access log records (DESIGN §17); the permission check uses the same names, plus
# `countersign` (the second signature on a high-tier expand or return from pause) and `audit` (reading
# the access log).
LOG_ACTIONS: tuple[str, ...] = (
    "login",
    "view",
    "export",
    "decide",
    "label",
    "readiness",
    "upload",
    "status_read",
)
Source = Literal["oidc", "local", "cli"]

_READERS = frozenset({"viewer", "operator", "governance"})
# action -> (global roles that may, whether owners of the deployment may, what to say when refused).
# Reading is open to every role: an owner of one deployment reads the whole portfolio too.
_RULES: dict[str, tuple[frozenset[str], bool, str]] = {
    "view": (_READERS, True, "read the reviews"),
    "export": (_READERS, True, "download review packs"),
    "status_read": (_READERS, True, "read the operating status"),
    "decide": (frozenset({"governance"}), True, "record a decision"),
    "countersign": (frozenset({"governance"}), True, "countersign a decision"),
    "label": (frozenset({"governance"}), True, "label requests"),
    "readiness": (frozenset({"governance"}), True, "record readiness evidence"),
    "upload": (frozenset({"operator", "governance"}), False, "load data"),
    "audit": (frozenset({"governance"}), True, "read the access log"),
}
PERMISSIONS: tuple[str, ...] = tuple(_RULES)


class PermissionDenied(PostlaunchError):
    """The identity may not do what it asked; nothing was written."""


@dataclass(frozen=True)
class Identity:
    """A person acting: name and e-mail as the identity provider (or the CLI's --by) gives them, the roles
    they hold across every deployment, and the deployments they own."""

    name: str
    email: str | None
    roles: frozenset[str] = frozenset()  # viewer, operator, governance
    owns: frozenset[str] = frozenset()  # deployment ids
    source: Source = "oidc"
    os_user: str | None = None
    expires_at: datetime | None = None  # the ID token's `exp`, UTC
    issued_at: datetime | None = None  # the ID token's `iat`: one sign-in, however many browser tabs
    all_deployments: bool = field(default=False, compare=False)  # owner of every deployment (local, CLI)

    @property
    def label(self) -> str:
        """`Name <e-mail>`, or for the CLI `Name (OS user x)`: how the person appears in records."""
        if self.email:
            return f"{self.name} <{self.email}>" if self.name and self.name != self.email else self.email
        return f"{self.name} (OS user {self.os_user})" if self.os_user else self.name

    @property
    def shown(self) -> str:
        """`Name (e-mail)`: the label as a page shows it (Markdown would take `<e-mail>` for a link)."""
        if self.email and self.name and self.name != self.email:
            return f"{self.name} ({self.email})"
        return self.label

    @property
    def person(self) -> str:
        """What tells two people apart: the e-mail when there is one, else the name (case-insensitive)."""
        return (self.email or self.name).strip().lower()

    def owns_deployment(self, deployment: str | None) -> bool:
        return deployment is not None and (self.all_deployments or deployment in self.owns)

    def has_any_role(self) -> bool:
        return bool(self.roles or self.owns or self.all_deployments)

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC))

    def role_summary(self) -> str:
        """`governance, operator · owner of a, b` — or `no role`."""
        parts = [r for r in ROLES if r in self.roles]
        if self.all_deployments:
            parts.append("owner of every deployment")
        elif self.owns:
            parts.append(f"owner of {', '.join(sorted(self.owns))}")
        return ", ".join(parts) or "no role"


def may(identity: Identity, action: str, deployment: str | None = None) -> bool:
    """Whether `identity` may do `action` (on `deployment`, for per-deployment actions)."""
    try:
        roles, owners_may, _ = _RULES[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(PERMISSIONS)}") from None
    if identity.roles & roles:
        return True
    if not owners_may:
        return False
    if roles is _READERS or deployment is None:  # a page-wide question ("may this person decide anything?")
        return bool(identity.owns) or identity.all_deployments
    return identity.owns_deployment(deployment)


def authorize(
    identity: Identity | None, action: str, deployment: str | None = None, now: datetime | None = None
) -> Identity:
    """The permission check: return `identity` when it may do `action` on `deployment`, else raise
    PermissionDenied naming who, what and which role it needs. An expired sign-in may do nothing."""
    if identity is None:
        raise PermissionDenied("nobody is signed in: sign in first")
    if identity.expired(now):
        raise PermissionDenied(
            f"the sign-in of {identity.label} expired at {identity.expires_at:%Y-%m-%d %H:%M} UTC: sign in again"
        )
    if may(identity, action, deployment):
        return identity
    roles, owners_may, what = _RULES[action]
    needs = " or ".join(sorted(roles))
    if owners_may:
        needs = f"owner rights on {deployment} or the {needs} role" if deployment else f"owner or {needs}"
    else:
        needs = f"the {needs} role"
    where = f" for {deployment}" if deployment and owners_may else ""
    raise PermissionDenied(
        f"{identity.label} ({identity.role_summary()}) may not {what}{where}: that needs {needs} "
        "(registry [access], [deployments.ID] owners, or the identity provider's roles claim)"
    )


# --- who holds which role ------------------------------------------------------------------------------


def matches(email: str | None, patterns: Iterable[str]) -> bool:
    """Whether `email` is one of `patterns` (addresses or `*@domain`, both lower case)."""
    if not email:
        return False
    address = email.strip().lower()
    return any(fnmatchcase(address, p) if p.startswith("*@") else address == p for p in patterns)


def _claim_values(claim: object) -> list[str]:
    if isinstance(claim, str):
        return [part for part in claim.replace(",", " ").split() if part]
    if isinstance(claim, list | tuple | set | frozenset):
        return [str(v) for v in claim]
    return []


def resolve(
    registry: Registry,
    *,
    name: str | None,
    email: str | None,
    claim_roles: object = None,
    source: Source = "oidc",
    expires_at: datetime | None = None,
    issued_at: datetime | None = None,
) -> Identity:
    """The identity of a signed-in person: roles from `[access]`, ownership from each deployment's
    `owners`, and anything the IdP's roles claim grants (`viewer`, `operator`, `governance`,
    `owner:DEPLOYMENT`; case-insensitive). Unknown claim values grant nothing."""
    access = registry.access
    roles: set[str] = set()
    if matches(email, access.governance):
        roles.add("governance")
    if matches(email, access.operators):
        roles.add("operator")
    if matches(email, access.viewers):
        roles.add("viewer")
    owns = {dep_id for dep_id, dep in registry.deployments.items() if matches(email, dep.owners)}
    for value in _claim_values(claim_roles):
        word = value.strip().lower()
        if word in ("viewer", "operator", "governance"):
            roles.add(word)
        elif word.startswith("owner:") and value.strip()[6:] in registry.deployments:
            owns.add(value.strip()[6:])
    shown = (name or "").strip() or (email or "").strip() or "unknown"
    return Identity(
        name=shown,
        email=email.strip().lower() if email else None,
        roles=frozenset(roles),
        owns=frozenset(owns),
        source=source,
        expires_at=expires_at,
        issued_at=issued_at,
    )


def os_user() -> str:
    """The operating-system user running this process ("unknown" where a container has none)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def local_user() -> Identity:
    """The one user of a dashboard without sign-in (loopback only): the OS user, with every role."""
    user = os_user()
    return Identity(
        name=user,
        email=None,
        roles=frozenset({"viewer", "operator", "governance"}),
        source="local",
        os_user=user,
        all_deployments=True,
    )


def cli_user(by: str) -> Identity:
    """Whoever runs a command: `--by` as typed plus the OS user. The command line holds every role, as
    whoever can run it can write the database file anyway; the record says it came from the CLI."""
    return Identity(
        name=by.strip(),
        email=None,
        roles=frozenset({"viewer", "operator", "governance"}),
        source="cli",
        os_user=os_user(),
        all_deployments=True,
    )


# --- who to tell ---------------------------------------------------------------------------------------


class Recipients(NamedTuple):
    """E-mail addresses (patterns left out: `*@domain` is nobody's address)."""

    owners: list[str]
    governance: list[str]


def review_recipients(registry: Registry, deployment: str) -> Recipients:
    """Who hears about `deployment`'s review: its owners' e-mails and the governance e-mails."""
    dep = registry.get(deployment)
    return Recipients(
        owners=[e for e in dep.owners if not e.startswith("*@")],
        governance=[e for e in registry.access.governance if not e.startswith("*@")],
    )


def expiry_from_claim(exp: object) -> datetime | None:
    """An ID token's time claim (`exp`, `iat`: seconds since the epoch) as a UTC datetime; None when
    absent or malformed."""
    if isinstance(exp, bool) or not isinstance(exp, int | float | str):
        return None
    try:
        return datetime.fromtimestamp(float(exp), UTC)
    except (ValueError, OverflowError, OSError):
        return None
