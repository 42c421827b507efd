"""The declaration of every contract kind (DESIGN §4), once: its columns, which are required, their
types, allowed values and defaults, the identity column and the target table. Validation, the docs
and the CLI read these declarations; nothing here touches a file or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from postlaunch import readiness
from postlaunch.rules import DATA_CLASSES, SERIOUS_KINDS

ColType = Literal[
    "timestamp",  # ISO 8601 or Unix epoch seconds/milliseconds -> naive UTC TIMESTAMP
    "date",  # YYYY-MM-DD -> DATE
    "text",  # any text, trimmed, empty = missing
    "enum",  # one of `values`, case-insensitive, stored lowercase
    "count",  # whole number >= 0 -> BIGINT
    "amount",  # number >= 0 -> DOUBLE
    "money",  # any finite number (credits may be negative) -> DOUBLE
    "rating",  # whole number 1-5 -> SMALLINT
    "bool",  # true/false/1/0/yes/no -> BOOLEAN
    "deployment",  # an id of the registry
    "currency",  # 3-letter ISO 4217 code, stored uppercase
]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColType
    required: bool = False
    default: str | None = None  # raw text used when the value is missing (validated like any value)
    values: tuple[str, ...] = ()  # allowed values of an enum
    target: str | None = None  # stored column name when it differs (timestamp -> ts)
    doc: str = ""

    @property
    def stored(self) -> str:
        return self.target or self.name


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    columns: tuple[Column, ...]
    identity: str | None  # column whose value is the row's identity; None = the normalized content
    text_columns: tuple[str, ...] = ()  # free text that is redacted at ingest
    doc: str = ""
    alternatives: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # required col -> columns that may replace it
    # A newer row for a stored identity with other content is a new version (the latest stands, every
    # version is kept in `history`), not a conflict: incidents and labels.
    history: str | None = None
    # Columns added after the kind was released: a row's content (its identity and duplicate check)
    # includes them only when set, so rows loaded before they existed are still recognised.
    added: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


OUTCOMES = ("ok", "error", "refused", "escalated")
COST_CATEGORIES = ("usage", "subscription", "support", "rework", "other")
FEEDBACK_SOURCES = ("user", "reviewer", "customer")
SEVERITIES = ("low", "medium", "high", "critical")
INCIDENT_CATEGORIES = (
    "quality", "privacy", "security", "misuse", "access", "complaint", "safety", "bias", "outage", "other",
)  # fmt: skip
INCIDENT_STATUSES = ("open", "investigating", "mitigated", "resolved")
CHANGE_KINDS = ("model", "prompt", "policy", "access", "workflow", "data", "other")

USAGE = Kind(
    name="usage",
    table="usage_events",
    doc="one AI request, or an aggregate of `requests` alike",
    identity="event_id",
    text_columns=("request_text",),
    columns=(
        Column("timestamp", "timestamp", required=True, target="ts", doc="when the request was made"),
        Column("deployment", "deployment", required=True, doc="a deployment id of the registry"),
        Column("user_id", "text", required=True, doc="who made the request"),
        Column("event_id", "text", doc="the request's id; the identity for duplicates when given"),
        Column("team", "text", doc="the user's team"),
        Column("use_case", "text", doc="the use case label, when the source knows it"),
        Column("request_text", "text", doc="the request; redacted at ingest (setting request_text)"),
        Column("model", "text", doc="model name"),
        Column("input_tokens", "count", doc="whole number >= 0"),
        Column("output_tokens", "count", doc="whole number >= 0"),
        Column("latency_ms", "amount", doc="number >= 0"),
        Column("outcome", "enum", default="ok", values=OUTCOMES, doc="default ok"),
        Column("data_class", "enum", values=DATA_CLASSES, doc="the most sensitive data in the request"),
        Column("cost", "amount", doc="in the reporting currency, number >= 0"),
        Column("requests", "count", default="1", doc="how many requests the row stands for; default 1"),
    ),
)

COST = Kind(
    name="cost",
    table="cost_records",
    doc="money spent",
    identity=None,
    alternatives={"date": ("period_start", "period_end")},
    columns=(
        Column(
            "date", "date", required=True, doc="the day the money covers (or give period_start + period_end)"
        ),
        Column("period_start", "date", doc="first day the money covers (with period_end, instead of date)"),
        Column("period_end", "date", doc="last day, inclusive"),
        Column("deployment", "deployment", required=True, doc="a deployment id of the registry"),
        Column("amount", "money", required=True, doc="number; negative for credits"),
        Column("category", "enum", default="usage", values=COST_CATEGORIES, doc="default usage"),
        Column("currency", "currency", doc="ISO 4217 code; default the reporting currency"),
        Column("description", "text", doc="free text"),
    ),
)

FEEDBACK = Kind(
    name="feedback",
    table="feedback",
    doc="ratings, thumbs, acceptance and comments on AI outputs",
    identity="feedback_id",
    text_columns=("comment",),
    columns=(
        Column("timestamp", "timestamp", required=True, target="ts", doc="when the feedback was given"),
        Column("deployment", "deployment", required=True, doc="a deployment id of the registry"),
        Column("feedback_id", "text", doc="the identity for duplicates when given"),
        Column("event_id", "text", doc="the usage event the feedback is about"),
        Column("source", "enum", values=FEEDBACK_SOURCES, doc="who gave it"),
        Column("rating", "rating", doc="whole number 1-5"),
        Column("thumbs", "enum", values=("up", "down")),
        Column("accepted", "bool", doc="output used without major edits"),
        Column("rework_minutes", "amount", doc="number >= 0"),
        Column("comment", "text", doc="free text; redacted like request_text"),
    ),
)

INCIDENTS = Kind(
    name="incidents",
    table="incidents",
    doc="incidents; a newer row for an incident_id updates it and the history is kept",
    identity="incident_id",
    history="incident_history",
    columns=(
        Column("incident_id", "text", required=True, doc="the incident's id; a later row with it updates it"),
        Column("opened_at", "timestamp", required=True),
        Column("deployment", "deployment", required=True, doc="a deployment id of the registry"),
        Column("severity", "enum", required=True, values=SEVERITIES),
        Column("category", "enum", values=INCIDENT_CATEGORIES),
        Column("status", "enum", default="open", values=INCIDENT_STATUSES, doc="default open"),
        Column("resolved_at", "timestamp"),
        Column("title", "text"),
        Column("description", "text"),
        Column("serious", "bool", default="false", doc="a reportable serious incident; default false"),
        Column(
            "aware_at", "timestamp", doc="when the organization became aware (starts the reporting clock)"
        ),
        Column("reported_at", "timestamp", doc="when it was reported to the authority"),
        Column(
            "serious_kind",
            "enum",
            values=tuple(SERIOUS_KINDS),
            doc="sets the reporting clock (and marks the incident serious): death 10 days, "
            "critical_infrastructure and widespread_infringement 2, other 15 (reporting_deadline_days)",
        ),
    ),
    added=("serious_kind",),
)

CHANGES = Kind(
    name="changes",
    table="changes",
    doc="change records: model, prompt, policy, access, workflow or data changes",
    identity=None,
    columns=(
        Column("timestamp", "timestamp", required=True, target="ts"),
        Column("deployment", "deployment", required=True, doc="a deployment id of the registry"),
        Column("kind", "enum", required=True, values=CHANGE_KINDS),
        Column("summary", "text", required=True),
        Column("changed_by", "text"),
        Column("approved_by", "text"),
    ),
)

# What a reason says of a value that does not fit its column's type: `column "value"` + the problem
# (DESIGN §4). Both validators read these: ingest's SQL (ingest/validate.py) and Spark's (ingest/spark/).
PROBLEMS: dict[str, str] = {
    "timestamp": " is not a date and time (expected ISO 8601 or Unix epoch seconds/milliseconds)",
    "date": " is not a date (expected YYYY-MM-DD)",
    "enum": " is not one of {values}",
    "count": " must be a whole number >= 0",
    "amount": " must be a number >= 0",
    "money": " is not a number",
    "rating_range": " is outside 1-5",
    "rating_whole": " is not a whole number 1-5",
    "bool": " is not a yes/no value (expected true, false, 1, 0, yes or no)",
    "deployment": " is not in the registry (known: {known})",
    "currency": " is not a 3-letter currency code",
}
REQUIRED = "required field {name} is empty"
MAX_SHOWN = 80  # characters of a bad value quoted in a reason
BOOL_TRUE = ("true", "1", "yes")
BOOL_VALUES = ("true", "false", "1", "0", "yes", "no")
EPOCH_S = r"[0-9]{9,10}(\.[0-9]+)?"  # Unix epoch seconds (a timestamp column)
EPOCH_MS = r"[0-9]{12,13}"  # Unix epoch milliseconds


def known_deployments(ids: list[str]) -> str:
    """The `known` of PROBLEMS["deployment"]."""
    return ", ".join(ids) if ids else "none, the registry is empty"


LABELS = Kind(
    name="labels",
    table="labels",
    doc="a person's use case for a usage event (the audit sample, DESIGN §12); a later label of the event "
    "replaces the earlier and the history is kept",
    identity="event_id",
    history="label_history",
    text_columns=("note",),
    columns=(
        Column(
            "event_id",
            "text",
            required=True,
            doc="the usage event's event_id (`#` and 32 hex digits for an event without one, as "
            "`postlaunch scope sample` writes it)",
        ),
        Column("deployment", "deployment", required=True, doc="a deployment id of the registry"),
        Column(
            "use_case",
            "text",
            required=True,
            doc="an approved use case, any other name, or out_of_scope (case and spaces as in the registry "
            "are matched: `Out of scope` reads out_of_scope)",
        ),
        Column("labelled_by", "text", required=True, doc="who judged it"),
        Column("labelled_at", "timestamp", doc="when; default the time of loading"),
        Column("note", "text", doc="free text; redacted like request_text"),
    ),
)

READINESS = Kind(
    name="readiness",
    table="readiness_records",
    doc="readiness checklist records (DESIGN §13); append-only, the latest per item stands",
    identity=None,
    columns=(
        Column("deployment", "deployment", required=True, doc="a deployment id of the registry"),
        Column("item", "enum", required=True, values=tuple(readiness.ITEMS), doc="one of the seven items"),
        Column("status", "enum", required=True, values=readiness.STATUSES),
        Column("evidence", "text", required=True, doc="a link or a sentence"),
        Column("evidence_date", "date", required=True, doc="when the evidence was produced"),
        Column("reviewed_by", "text", required=True, doc="who reviewed the evidence"),
        Column(
            "expires",
            "date",
            doc="the first day it is no longer valid; default evidence_date + 12 / 6 / 3 months (low / medium / high tier)",
        ),
    ),
)

TRAINING = Kind(
    name="training",
    table="training_records",
    doc="who completed which training, for which deployment (DESIGN §15)",
    identity=None,
    columns=(
        Column("user_id", "text", required=True, doc="the user_id of the usage events"),
        Column("completed_at", "timestamp", required=True, doc="when the training was completed"),
        Column("deployment", "deployment", doc="a deployment id; blank: valid for every deployment"),
        Column("course", "text"),
        Column("expires_at", "timestamp", doc="when the training stops being valid; blank: never"),
        Column("provider", "text"),
    ),
)

KINDS: dict[str, Kind] = {
    k.name: k for k in (USAGE, COST, FEEDBACK, INCIDENTS, CHANGES, LABELS, READINESS, TRAINING)
}


def missing_required(kind: Kind, present: set[str]) -> list[str]:
    """Required columns absent from `present` (a column with alternatives is satisfied by them)."""
    missing = []
    for name in kind.required:
        if name in present:
            continue
        alternatives = kind.alternatives.get(name)
        if alternatives and alternatives[0] in present:
            continue
        missing.append(name)
    return missing
