"""The deployment registry (`[deployments.*]` in postlaunch.toml, DESIGN §3): what each deployment
is approved to do, its risk tier, budget and thresholds. Validated once, here; every command reads it.

It never touches the database (registry changes are logged by `postlaunch.registry_log`).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from postlaunch.catalog import BY_NAME, DEFAULT_THRESHOLDS
from postlaunch.errors import ConfigError, UnknownDeploymentError
from postlaunch.rules import OUT_OF_SCOPE
from postlaunch.settings import format_validation_error

RiskTier = Literal["low", "medium", "high"]
DataClass = Literal["public", "internal", "confidential", "restricted"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_EXAMPLES = 20
# Registry keys whose ids name the vendor scope (OpenAI project, Anthropic workspace) of one deployment.
VENDOR_SCOPE_KEYS = ("openai_projects", "anthropic_workspaces")
# An e-mail address, or `*@domain` for everyone at that domain (DESIGN §17).
_EMAIL = re.compile(r"^[^@\s*]+@[^@\s*]+\.[^@\s*]+$")
_DOMAIN_PATTERN = re.compile(r"^\*@[^@\s*]+\.[^@\s*]+$")


def _email_patterns(value: list[str]) -> list[str]:
    """Lower-cased e-mail addresses or `*@domain` patterns; anything else is refused by name."""
    seen: set[str] = set()
    out: list[str] = []
    for item in value:
        text = item.strip().lower()
        if not (_EMAIL.match(text) or _DOMAIN_PATTERN.match(text)):
            raise ValueError(f"{item!r} is not an e-mail address or a *@domain pattern (e.g. *@example.org)")
        if text in seen:
            raise ValueError(f"{item!r} is listed twice")
        seen.add(text)
        out.append(text)
    return out


class AccessPolicy(BaseModel):
    """`[access]`: who holds which role across every deployment (owners are per deployment)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    governance: list[str] = Field(default_factory=list)
    operators: list[str] = Field(default_factory=list)
    viewers: list[str] = Field(default_factory=list)

    check_patterns = field_validator("governance", "operators", "viewers")(_email_patterns)


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warn: float | None = None
    critical: float | None = None


class CostMatch(BaseModel):
    """FOCUS columns whose values attribute a cloud bill row to the deployment."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    ResourceId: list[str] = Field(default_factory=list)
    ServiceName: list[str] = Field(default_factory=list)
    SubAccountId: list[str] = Field(default_factory=list)


def _names(value: list[str]) -> list[str]:
    """A list of names: none empty, none twice."""
    seen: set[str] = set()
    for item in value:
        if not item.strip():
            raise ValueError("an empty name is not allowed")
        if item in seen:
            raise ValueError(f"{item!r} is listed twice")
        seen.add(item)
    return value


class Runbook(BaseModel):
    """`[deployments.X.runbook]` (DESIGN §14): who may pause, what happens instead, and how to return."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    may_pause: list[str] = Field(
        default_factory=list, description="identities or roles that may pause or stop"
    )
    fallback: str | None = Field(default=None, description="what happens instead, e.g. the manual process")
    safe_state: str | None = Field(default=None, description="the state the system is left in while paused")
    return_criteria: list[str] = Field(
        default_factory=list, description="what must hold before a return to normal"
    )
    notify: list[str] = Field(
        default_factory=list,
        description="who must be told of a pause: provider, distributor, authority, staff",
    )
    fail_mode: Literal["closed", "open"] | None = Field(
        default=None,
        description="what the app does when it cannot read its status; default closed for high tier, else open",
    )

    @field_validator("return_criteria", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("may_pause", "notify", "return_criteria")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        return _names(value)

    @field_validator("fallback", "safe_state")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty (leave the key out instead)")
        return value

    def missing(self) -> list[str]:
        """The keys a complete runbook needs and this one lacks (DESIGN §13 `pause`)."""
        return [key for key in RUNBOOK_REQUIRED if not getattr(self, key)]


# What a runbook needs to be complete: someone who may pause, the fallback, and when to return.
RUNBOOK_REQUIRED = ("may_pause", "fallback", "return_criteria")


class Deployment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    owner: str
    risk_tier: RiskTier
    launched: date
    status: Literal["active", "limited", "paused", "retired"] = "active"
    approved_use_cases: list[str] = Field(min_length=1)
    approved_teams: list[str] = Field(default_factory=list)
    max_data_class: DataClass = "internal"
    weekly_budget: float | None = Field(default=None, gt=0)
    review_day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = (
        "monday"
    )
    use_case_descriptions: dict[str, str] = Field(default_factory=dict)
    use_case_examples: dict[str, list[str]] = Field(default_factory=dict)
    otel_services: list[str] = Field(default_factory=list)
    openai_projects: list[str] = Field(default_factory=list)
    anthropic_workspaces: list[str] = Field(default_factory=list)
    cost_match: CostMatch = Field(default_factory=CostMatch)
    thresholds: dict[str, Threshold] = Field(default_factory=dict)
    runbook: Runbook = Field(default_factory=Runbook)
    scope_threshold: float | None = Field(
        default=None, ge=0, le=1, description="similarity below which an unlabeled request is out of scope"
    )
    owners: list[str] = Field(default_factory=list)  # e-mails (or *@domain) holding owner rights (§17)

    check_owners = field_validator("owners")(_email_patterns)

    @field_validator(
        "approved_use_cases", "approved_teams", "otel_services", "openai_projects", "anthropic_workspaces"
    )
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        return _names(value)

    @field_validator("approved_use_cases")
    @classmethod
    def _not_the_out_of_scope_label(cls, value: list[str]) -> list[str]:
        if OUT_OF_SCOPE in value:
            raise ValueError(
                f"{OUT_OF_SCOPE!r} names requests outside every approved use case; it cannot be approved"
            )
        return value

    @field_validator("thresholds")
    @classmethod
    def _known_metrics(cls, value: dict[str, Threshold]) -> dict[str, Threshold]:
        for metric, level in value.items():
            if metric not in BY_NAME:
                raise ValueError(f"threshold for unknown metric {metric!r}")
            if metric not in DEFAULT_THRESHOLDS:
                raise ValueError(
                    f"metric {metric!r} takes no threshold; these do: {', '.join(sorted(DEFAULT_THRESHOLDS))}"
                )
            if level.warn is None and level.critical is None:
                raise ValueError(f"{metric}: give warn, critical or both")
            if level.warn is not None and level.critical is not None:
                above = BY_NAME[metric].direction == "above"
                if above and level.warn > level.critical:
                    raise ValueError(
                        f"{metric}: warn {level.warn} is above critical {level.critical} "
                        "(higher is worse, so warn must be <= critical)"
                    )
                if not above and level.warn < level.critical:
                    raise ValueError(
                        f"{metric}: warn {level.warn} is below critical {level.critical} "
                        "(lower is worse, so warn must be >= critical)"
                    )
        return value

    @model_validator(mode="after")
    def _use_cases_known(self) -> Deployment:
        approved = set(self.approved_use_cases)
        for key in ("use_case_descriptions", "use_case_examples"):
            for use_case in getattr(self, key):
                if use_case not in approved:
                    raise ValueError(f"{key}: {use_case!r} is not one of approved_use_cases")
        for use_case, examples in self.use_case_examples.items():
            if len(examples) > MAX_EXAMPLES:
                raise ValueError(
                    f"use_case_examples.{use_case}: {len(examples)} examples, at most {MAX_EXAMPLES}"
                )
        return self

    @property
    def fail_mode(self) -> Literal["closed", "open"]:
        """What the app does when it cannot read its status: the runbook's, else closed for high tier."""
        if self.runbook.fail_mode is not None:
            return self.runbook.fail_mode
        return "closed" if self.risk_tier == "high" else "open"


class Registry(BaseModel):
    model_config = ConfigDict(frozen=True)
    deployments: dict[str, Deployment]
    access: AccessPolicy = Field(default_factory=AccessPolicy)

    def get(self, deployment_id: str) -> Deployment:
        try:
            return self.deployments[deployment_id]
        except KeyError:
            known = ", ".join(sorted(self.deployments)) or "none: the registry is empty"
            raise UnknownDeploymentError(f"unknown deployment {deployment_id!r}; known: {known}") from None

    @property
    def ids(self) -> list[str]:
        return sorted(self.deployments)

    def canonical_json(self) -> str:
        """The registry as stable JSON (its recorded state). Keys at their default are left out, so a key
        that a later postlaunch adds does not change the state of a registry that does not use it (no
        policy change is recorded just because postlaunch was upgraded)."""
        return json.dumps(
            {
                k: v.model_dump(mode="json", exclude_defaults=True)
                for k, v in sorted(self.deployments.items())
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def fingerprint(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def parse_registry(
    raw: dict[str, Any], source: str = "postlaunch.toml", access: dict[str, Any] | None = None
) -> Registry:
    """Validate the `[deployments]` table and the `[access]` table; every problem is named with its
    deployment (or `access`) and key."""
    problems: list[str] = []
    policy = AccessPolicy()
    if access is not None and not isinstance(access, dict):
        problems.append(f"{source}: access: must be a table (governance, operators, viewers)")
    elif access:
        try:
            policy = AccessPolicy(**access)
        except ValidationError as exc:
            problems.append(format_validation_error(source, exc, prefix="access."))
    deployments: dict[str, Deployment] = {}
    for dep_id, body in raw.items():
        if not isinstance(body, dict):
            problems.append(f"{source}: deployments.{dep_id}: must be a table of keys")
            continue
        if "id" in body:
            problems.append(f"{source}: deployments.{dep_id}.id: unknown key (the id is the table name)")
            continue
        try:
            deployments[dep_id] = Deployment(id=dep_id, **body)
        except ValidationError as exc:
            problems.append(format_validation_error(source, exc, prefix=f"deployments.{dep_id}."))
    problems.extend(_shared_vendor_ids(deployments, source))
    if problems:
        raise ConfigError("invalid registry:\n" + "\n".join(problems))
    return Registry(deployments=deployments, access=policy)


def _shared_vendor_ids(deployments: dict[str, Deployment], source: str) -> list[str]:
    """An OpenAI project or Anthropic workspace listed under two deployments: its rows would belong to both."""
    problems: list[str] = []
    for key in VENDOR_SCOPE_KEYS:
        owner: dict[str, str] = {}
        for dep_id, deployment in deployments.items():
            for scope_id in getattr(deployment, key):
                first = owner.setdefault(scope_id, dep_id)
                if first != dep_id:
                    problems.append(
                        f"{source}: deployments.{dep_id}.{key}: {scope_id!r} is also listed under "
                        f"deployments.{first}.{key} (an id belongs to one deployment)"
                    )
    return problems
