"""Who may pause or stop a deployment, and who owns it, read from the registry: the runbook's
`may_pause` (DESIGN §14: identities or roles) and the deployment's `owners` (§17). The role checks of
every other action are `postlaunch.access.authorize`. It reads the registry only; never the database.
"""

from __future__ import annotations

from postlaunch.access import Identity, matches
from postlaunch.registry import Deployment


def owner_identities(deployment: Deployment) -> list[str]:
    """The identities (e-mails, or `*@domain` patterns) that own `deployment` (`[deployments.X] owners`)."""
    return list(deployment.owners)


def may_pause(deployment: Deployment, who: Identity) -> bool:
    """Whether `who` may pause or stop `deployment`: anyone who may decide on it when its runbook names
    nobody in `may_pause` (a pause must never wait for paperwork); else whoever the list names — by
    name, e-mail (or `*@domain`), or role (`governance`, `operator`, `viewer`, or `owner` for the
    deployment's owners), compared without case."""
    named = {entry.strip().casefold() for entry in deployment.runbook.may_pause}
    if not named:
        return True
    roles = set(who.roles) | ({"owner"} if who.owns_deployment(deployment.id) else set())
    return (
        who.name.strip().casefold() in named
        or matches(who.email, named)
        or bool({r.casefold() for r in roles} & named)
    )
