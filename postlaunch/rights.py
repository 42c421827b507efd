"""Who may do what, asked in one place per right, so the login and roles of DESIGN §17 plug in here:
who owns a deployment (`owner_identities`) and who may pause or stop it (`may_pause`). Until the
registry has `[access]`, owners are unknown ([]) and pause rights come from the runbook's `may_pause`.

It reads the registry only; it never touches the database.
"""

from __future__ import annotations

from postlaunch.registry import Deployment


def owner_identities(deployment: Deployment) -> list[str]:
    """The identities (e-mails) that own `deployment` in `[access]` (DESIGN §17). Empty until the
    registry knows `[access]` and `owners`; the readiness item `owner` then reads "no owner identity"."""
    return []


def may_pause(deployment: Deployment, who: str) -> bool:
    """Whether `who` may pause or stop `deployment`: anyone when its runbook names nobody in `may_pause`
    (a pause must never wait for paperwork), else only those named (compared without case)."""
    allowed = {name.strip().casefold() for name in deployment.runbook.may_pause}
    return not allowed or who.strip().casefold() in allowed
