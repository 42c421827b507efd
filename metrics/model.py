"""The typed results of metrics/: one metric value, an alert, a recommendation with its reasons, the
weekly review (whose JSON is DESIGN §9), a `check` row and a Portfolio row; plus the internal week and
history records the review is cut from. Plain data; no I/O.

The review crosses every package boundary above metrics (report, actions, cli, dashboard): it is a
pydantic model so a key nobody writes is a type error, and `Review.to_json()` is the contract JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from postlaunch.catalog import Action, AlertLevel, Category, CheckLevel, Direction, Status


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Per-metric details beyond the common keys: in the JSON only for the metrics that set them (even to
# null), in this order. One metric's details are always a run of this list.
METRIC_DETAILS: tuple[str, ...] = (
    "previous_events",
    "interval",
    "split",
    "estimate",
    "estimate_basis",
    "usage_cost_source",
    "currency",
    "estimated_cost",
    "unpriced_models",
    "baseline_weeks",
    "baseline_complete",
    "in_baseline",
    "new_use_cases",
    "accepted_outputs",
    "weekly_budget",
    "previous_mean",
    "note",
)


class MetricResult(_Model):
    """One metric of one deployment-week: value, the sample it rests on, its interval and status."""

    name: str = Field(exclude=True)
    value: float | int | None
    n: int | None
    ci: tuple[float, float] | None
    status: Status = "no_threshold"
    warn: float | int | None = None
    critical: float | int | None = None
    direction: Direction
    previous: float | int | None = None
    category: Category
    unit: str
    previous_events: int | None = None
    interval: str | None = None
    split: dict[str, Any] | None = None
    # scope metrics (DESIGN §12): what the figure rests on: {"method": labelled | inferred | audited,
    # "audited_n", "inferred_n", "labelled_n"}, and in words how placed requests were corrected
    estimate: dict[str, Any] | None = None
    estimate_basis: str | None = None
    usage_cost_source: str | None = None
    currency: str | None = None
    estimated_cost: float | None = None
    unpriced_models: dict[str, int] | None = None
    baseline_weeks: list[str] | None = None
    baseline_complete: bool | None = None
    in_baseline: bool | None = None
    new_use_cases: list[str] | None = None
    accepted_outputs: float | None = None
    weekly_budget: float | None = None
    previous_mean: float | None = None
    note: str | None = None
    # the same metric over labelled events alone (scope metrics; not in the JSON): an alert resting on
    # placement without audit is one this part does not reach (metrics.recommend)
    labelled_part: MetricResult | None = Field(default=None, exclude=True)

    @model_serializer(mode="wrap")
    def _without_unset_details(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in METRIC_DETAILS:
            if key not in self.model_fields_set:
                data.pop(key, None)
        return data


class Alert(_Model):
    metric: str
    level: AlertLevel
    value: float | int | None
    threshold: float | int | None
    message: str
    n: int | None
    ci: tuple[float, float] | None
    weeks_in_a_row: int
    since: str
    category: Category
    week: str = Field(exclude=True)


class Reason(_Model):
    rule: int
    action: Action
    metric: str | None
    value: float | int | None
    threshold: float | int | None
    week: str
    text: str
    item: str | None = None  # the readiness item that keeps *expand* away (in the JSON only when set)

    @model_serializer(mode="wrap")
    def _item_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.item is None:
            data.pop("item", None)
        return data


class Recommendation(_Model):
    action: Action
    reasons: tuple[Reason, ...]


class ReadinessItem(_Model):
    """One readiness item (DESIGN §13) as it stands for a week's review meeting: the latest record's
    claim, when its evidence expires, and what the data says of it (`check`: ok, challenged, unknown
    or not_checked), in a sentence. `blocks_expand` says whether it keeps *expand* away."""

    item: str
    status: str | None  # met | not_met | unknown; None: no record yet
    evidence: str | None
    evidence_date: str | None
    expires: str | None  # the first day the evidence is no longer valid
    check: str
    message: str
    expired: bool
    reviewed_by: str | None
    blocks_expand: bool


class Period(_Model):
    start: str  # Monday, ISO date
    end: str  # Sunday, ISO date


class OpenIncident(_Model):
    incident_id: str
    severity: str
    category: str | None
    status: str
    title: str | None
    opened_at: str | None
    serious: bool
    aware_at: str | None
    deadline: str | None
    reported_at: str | None
    resolved_at: str | None
    open: bool
    overdue: bool
    days_to_deadline: float | None
    serious_kind: str | None = None
    deadline_days: int | None = None  # the reporting clock that applies (days from aware_at)
    due_soon: bool = False  # not reported and the deadline falls within 2 days after the week's end


class ScopeExample(_Model):
    use_case: str
    source: str  # labelled | inferred
    events: int
    examples: list[str]


class ChangeRecord(_Model):
    ts: str | None
    kind: str
    summary: str
    changed_by: str | None
    approved_by: str | None
    source: str


class DeploymentInfo(_Model):
    """What the registry says of the deployment, as the review shows it. The registry's other keys
    (review_day, thresholds, ...) are not here: read them from `ctx.registry`."""

    name: str
    owner: str
    risk_tier: str
    status: str
    approved_use_cases: list[str]
    approved_teams: list[str]
    max_data_class: str
    weekly_budget: float | None
    launched: str


class FeedSpan(_Model):
    """The first and last week with a record of one kind."""

    first_week: str
    last_week: str


class GeneratedFrom(_Model):
    first_week: str | None
    last_week: str | None
    timezone: str


class Review(_Model):
    """The weekly review of one deployment (DESIGN §9). `to_json()` is the contract JSON."""

    deployment: str
    week: str
    period: Period
    metrics: dict[str, MetricResult]
    alerts: list[Alert]
    recommendation: Recommendation | None
    readiness: list[ReadinessItem] = Field(default_factory=list)
    open_incidents: list[OpenIncident]
    out_of_scope_examples: list[ScopeExample]
    changes: list[ChangeRecord]
    deployment_info: DeploymentInfo
    new_use_cases: list[str]
    baseline_weeks: list[str]
    weeks_of_data: int
    currency: str
    generated_from: GeneratedFrom
    # kind of record (usage, feedback, cost, incidents) -> its weeks; a kind never loaded is absent, so a
    # page can say "no cost data loaded" instead of a bare dash (None: a snapshot from before feeds)
    feeds: dict[str, FeedSpan] | None = None

    @model_validator(mode="before")
    @classmethod
    def _names_from_the_json(cls, data: Any) -> Any:
        """Read back from its JSON (a snapshot), a metric takes its name from its key and an alert its week
        from the review's: the JSON does not repeat them."""
        if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
            return data
        metrics = {
            name: {**m, "name": name} if isinstance(m, dict) and "name" not in m else m
            for name, m in data["metrics"].items()
        }
        alerts = [
            {**a, "week": data.get("week")} if isinstance(a, dict) and "week" not in a else a
            for a in data.get("alerts") or []
        ]
        return {**data, "metrics": metrics, "alerts": alerts}

    def as_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_json(self, indent: int | None = 2) -> str:
        """The contract JSON: keys in the order above, non-ASCII kept."""
        if indent is None:
            return json.dumps(self.as_json_dict(), ensure_ascii=False, separators=(",", ":"))
        return json.dumps(self.as_json_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Review:
        return cls.model_validate_json(text)

    def metric(self, name: str) -> MetricResult | None:
        return self.metrics.get(name)

    @property
    def action(self) -> Action | None:
        return self.recommendation.action if self.recommendation else None


class CheckRow(_Model):
    """One deployment in `postlaunch check`."""

    deployment: str
    week: str | None
    level: CheckLevel
    critical: int
    warn: int
    alerts: list[Alert]
    recommendation: Recommendation | None
    note: str | None


class PortfolioRow(_Model):
    """One deployment on the Portfolio page, for its week."""

    deployment: str
    week: str | None
    level: CheckLevel
    name: str
    owner: str
    risk_tier: str
    status: str
    recommendation: Action | None
    critical_alerts: int
    warn_alerts: int
    events: int | None
    events_wow_change: float | None
    usage_feed_gap: int | None
    acceptance_rate: float | None
    acceptance_status: Status | None
    out_of_scope_share: float | None
    out_of_scope_status: Status | None
    cost_total: float | None
    weekly_budget: float | None
    budget_burn: float | None
    budget_status: Status | None
    currency: str
    last_decision: Action | None
    last_decision_week: str | None
    next_review: str | None
    review_overdue: bool


# --- internal records of metrics/ (never serialised as they are) ---------------------------------------


@dataclass
class WeekResult:
    week: str
    metrics: dict[str, MetricResult]
    alerts: list[Alert] = field(default_factory=list)
    recommendation: Recommendation | None = None
    new_use_cases: list[str] = field(default_factory=list)
    weeks_of_data: int = 0
    readiness: list[ReadinessItem] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return bool(self.metrics["events"].value)

    @property
    def level(self) -> CheckLevel:
        """ok | warn | critical from this week's alerts (the same words as the alerts)."""
        levels = {a.level for a in self.alerts}
        if "critical" in levels:
            return "critical"
        if "warn" in levels:
            return "warn"
        return "ok"


@dataclass
class History:
    deployment: str
    weeks: list[WeekResult]
    baseline_weeks: list[str]

    def get(self, week: str) -> WeekResult | None:
        for result in self.weeks:
            if result.week == week:
                return result
        return None

    @property
    def data_weeks(self) -> list[str]:
        return [w.week for w in self.weeks if w.has_data]
