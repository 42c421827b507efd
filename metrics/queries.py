"""Runs the weekly SQL (metrics/sql/*.sql) over the weekly rollup and hands back small per-deployment
records keyed by week index; every value bound as a named parameter. Only reads.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pandas as pd

from postlaunch import rollup, sqlfiles
from postlaunch import weeks as wk
from postlaunch.registry import Deployment
from postlaunch.rules import DUE_SOON_DAYS
from postlaunch.settings import Settings

SQL_DIR = Path(__file__).resolve().parent / "sql"


def sql_text(name: str) -> str:
    """metrics/sql/NAME.sql (with the week-index expression spliced in where it says WEEK_INDEX)."""
    return sqlfiles.sql_text(SQL_DIR, name)


def run(conn: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run metrics/sql/NAME.sql with named parameters on its own cursor; rows as dicts."""
    return sqlfiles.rows(conn, sql_text(name), params)


def frame(conn: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run metrics/sql/NAME.sql like `run`, as a DataFrame (for the pages' tables)."""
    cur = conn.cursor()
    try:
        return cur.execute(sql_text(name), params).df()
    finally:
        cur.close()


class MixRow(NamedTuple):
    """Events of one deployment-week with one scope key: a label (the data's, or a person's outside an
    audit draw), else a person's label of an audited event, else a placement with its score band."""

    label: str | None
    placed: str | None
    audited: str | None
    band: int | None
    label_out: bool
    placed_out: bool
    audited_out: bool
    events: int

    @property
    def kind(self) -> str:
        """labelled | audited | inferred | unplaced: what the row's use case rests on."""
        if self.label is not None:
            return "labelled"
        if self.audited is not None:
            return "audited" if self.placed is not None else "labelled"
        return "inferred" if self.placed is not None else "unplaced"

    @property
    def use_case(self) -> str | None:
        """The use case it counts under: the label, the audited label, else the placement."""
        return (
            self.label
            if self.label is not None
            else self.audited
            if self.audited is not None
            else self.placed
        )

    @property
    def out_of_scope(self) -> bool:
        kind = self.kind
        if kind == "labelled":
            return self.label_out if self.label is not None else self.audited_out
        return self.audited_out if kind == "audited" else self.placed_out


class ModelTokens(NamedTuple):
    """Tokens of one deployment-week's usage rows of one model that came without a cost."""

    model: str | None
    input_tokens: int
    output_tokens: int
    events: int


@dataclass
class UsageWeek:
    """One deployment-week of usage, aggregated; `mix` splits its events by use case."""

    events: int = 0
    active_users: int = 0
    errors: int = 0
    escalations: int = 0
    team_n: int = 0
    team_bad: int = 0
    dc_n: int = 0
    dc_bad: int = 0
    text_n: int = 0
    pii_n: int = 0
    usage_cost: float = 0.0
    cost_rows: int = 0
    untrained: int = 0  # events whose user had no valid training (meaningful with training records)
    mix: list[MixRow] = field(default_factory=list)
    uncosted: list[ModelTokens] = field(default_factory=list)


@dataclass
class FeedbackWeek:
    """One deployment-week of feedback, aggregated (the columns of feedback_weekly.sql)."""

    feedback_count: int = 0
    accepted_n: int = 0
    accepted_yes: int = 0
    rework_n: int = 0
    rework_yes: int = 0
    rating_n: int = 0
    rating_sum: float = 0.0
    rating_sumsq: float = 0.0
    negative_n: int = 0
    negative_yes: int = 0


@dataclass
class IncidentWeek:
    """Incident counts of one deployment as they stood at a week's end (incidents_weekly.sql)."""

    incidents_opened: int = 0
    open_incidents: int = 0
    open_high_severity_incidents: int = 0
    overdue_serious_incidents: int = 0
    serious_incidents_due_soon: int = 0
    resolved_n: int = 0
    resolve_days_sum: float | None = None


@dataclass(frozen=True)
class ReadinessRecord:
    """One stored readiness record (DESIGN §13), in the order recorded."""

    item: str
    status: str
    evidence: str
    evidence_date: date
    reviewed_by: str
    expires: date | None
    source: str
    recorded_at: datetime
    recorded_by: str


@dataclass
class RawData:
    """Everything the weekly metrics of one deployment rest on, keyed by week index, plus what its
    readiness checks read: its readiness records, whether any training record applies to it, the days
    its app read its status, and its decisions (decided_at, next_review)."""

    usage: dict[int, UsageWeek] = field(default_factory=dict)
    feedback: dict[int, FeedbackWeek] = field(default_factory=dict)
    cost: dict[int, dict[str, float]] = field(default_factory=dict)
    incidents: dict[int, IncidentWeek] = field(default_factory=dict)
    # the stored scope model's calibration (expected_false_flag_rate, bands; None before any placement)
    scope_calibration: dict[str, Any] | None = None
    # kind of record (usage, feedback, cost, incidents) -> (first, last) local week index with one
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    has_training: bool = False
    readiness: list[ReadinessRecord] = field(default_factory=list)
    status_read_days: list[date] = field(default_factory=list)
    decisions: list[tuple[datetime, date | None]] = field(default_factory=list)

    @property
    def first_week(self) -> int | None:
        return min((first for first, _ in self.spans.values()), default=None)

    @property
    def last_week(self) -> int | None:
        return max((last for _, last in self.spans.values()), default=None)


def load_raw(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    deployments: list[Deployment],
    until: int | None = None,
    *,
    until_latest: bool = False,
) -> dict[str, RawData]:
    """The weekly aggregates of the given deployments, read from the weekly rollup (postlaunch.rollup).
    Weeks run from each deployment's first week with usage data to its last, or to `until` (a week
    index) when given, or with `until_latest` to the latest week with usage data of any of them;
    incidents are evaluated at the end of every such week."""
    ids = [d.id for d in deployments]
    out: dict[str, RawData] = {d: RawData() for d in ids}
    if not ids:
        return out
    rollup.check_current(conn, settings.timezone)
    registry = {
        "ids": ids,
        "teams": [list(d.approved_teams) for d in deployments],
        "max_class": [d.max_data_class for d in deployments],
    }
    for row in run(conn, "rollup_weeks", registry):
        out[row["deployment"]].usage[row["wk"]] = UsageWeek(
            events=int(row["events"]),
            active_users=int(row["active_users"]),
            errors=int(row["errors"]),
            escalations=int(row["escalations"]),
            team_n=int(row["team_n"]),
            team_bad=int(row["team_bad"]),
            dc_n=int(row["dc_n"]),
            dc_bad=int(row["dc_bad"]),
            text_n=int(row["text_n"]),
            pii_n=int(row["pii_n"]),
            usage_cost=float(row["usage_cost"] or 0.0),
            cost_rows=int(row["cost_rows"]),
            untrained=int(row["untrained_n"]),
        )
    mix = run(conn, "rollup_mix", {"ids": ids, "approved": [list(d.approved_use_cases) for d in deployments]})
    for row in mix:
        week = out[row["deployment"]].usage.setdefault(row["wk"], UsageWeek())
        week.mix.append(
            MixRow(
                row["label"],
                row["placed"],
                row["audited"],
                None if row["band"] is None else int(row["band"]),
                bool(row["label_out"]),
                bool(row["placed_out"]),
                bool(row["audited_out"]),
                int(row["events"]),
            )  # fmt: skip
        )
    for row in sqlfiles.rows(
        conn, "SELECT deployment, calibration FROM scope_models WHERE list_contains($ids::VARCHAR[], deployment)",
        {"ids": ids},
    ):  # fmt: skip
        out[row["deployment"]].scope_calibration = _calibration(row["calibration"])
    for row in run(conn, "rollup_models", {"ids": ids}):
        week = out[row["deployment"]].usage.setdefault(row["wk"], UsageWeek())
        week.uncosted.append(
            ModelTokens(row["model"], int(row["input_tokens"]), int(row["output_tokens"]), int(row["events"]))
        )
    for dep, spans in load_spans(conn, settings, ids).items():
        out[dep].spans = spans
    for row in run(conn, "rollup_feedback", {"ids": ids}):
        dep, week = row.pop("deployment"), row.pop("wk")
        out[dep].feedback[week] = FeedbackWeek(**row)
    for row in run(conn, "cost_weekly", {"ids": ids}):
        out[row["deployment"]].cost.setdefault(row["wk"], {})[row["category"]] = float(row["amount"])
    _readiness_inputs(conn, ids, out)
    if until_latest:
        until = latest_week_index(out)
    ranges = {dep: history_weeks(raw, until) for dep, raw in out.items()}
    all_weeks = sorted({w for r in ranges.values() for w in r})
    if all_weeks:
        bounds = [wk.week_bounds(wk.week_of_index(w), settings.timezone) for w in all_weeks]
        rows = run(
            conn,
            "incidents_weekly",
            {
                "ids": ids,
                "wks": all_weeks,
                "starts": [b[0] for b in bounds],
                "ends": [b[1] for b in bounds],
                "deadline_days": settings.reporting_deadline_days,
                "due_soon_days": DUE_SOON_DAYS,
            },
        )
        by_dep: dict[str, dict[int, IncidentWeek]] = defaultdict(dict)
        for row in rows:
            dep, week = row.pop("deployment"), row.pop("wk")
            by_dep[dep][week] = IncidentWeek(**row)
        for dep, raw in out.items():
            raw.incidents = {w: by_dep[dep][w] for w in ranges[dep] if w in by_dep[dep]}
    return out


def _calibration(text: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def load_spans(
    conn: duckdb.DuckDBPyConnection, settings: Settings, ids: list[str]
) -> dict[str, dict[str, tuple[int, int]]]:
    """Per deployment and kind of record, its first and last local week with a record (feed_spans.sql)."""
    out: dict[str, dict[str, tuple[int, int]]] = {d: {} for d in ids}
    for row in run(conn, "feed_spans", {"ids": ids}):
        if row["first_ts"] is not None:
            span = (
                wk.index_of_instant(row["first_ts"], settings.timezone),
                wk.index_of_instant(row["last_ts"], settings.timezone),
            )
        else:
            span = (int(row["first_wk"]), int(row["last_wk"]))
        out[row["deployment"]][row["kind"]] = span
    return out


def current_week_index(spans: dict[str, dict[str, tuple[int, int]]]) -> int | None:
    """The organization's current week: the latest with usage events of any deployment, else (nobody
    logs usage) the latest with any record; None without any record."""
    usage = [kinds["usage"][1] for kinds in spans.values() if "usage" in kinds]
    if usage:
        return max(usage)
    last = [span[1] for kinds in spans.values() for span in kinds.values()]
    return max(last) if last else None


def latest_week_index(raw: dict[str, RawData]) -> int | None:
    return current_week_index({dep: r.spans for dep, r in raw.items()})


def _readiness_inputs(conn: duckdb.DuckDBPyConnection, ids: list[str], out: dict[str, RawData]) -> None:
    """What the readiness checks read besides the weekly numbers (all small)."""
    params = {"ids": ids}
    for row in run(conn, "training_coverage", params):
        out[row["deployment"]].has_training = int(row["records"]) > 0
    for row in run(conn, "readiness_inputs", params):
        out[row.pop("deployment")].readiness.append(ReadinessRecord(**row))
    for row in run(conn, "status_read_days", params):
        out[row["deployment"]].status_read_days.append(row["day"])
    for row in run(conn, "decision_dates", params):
        out[row["deployment"]].decisions.append((row["decided_at"], row["next_review"]))


def history_weeks(raw: RawData, until: int | None = None) -> list[int]:
    """Week indexes of a deployment's history: from its first week with any record (usage, feedback,
    cost or an incident) to `until`, or to its last week with a record. A week after the last record is
    reviewable too (a feed that stopped is a finding), so `until` may lie beyond the data."""
    first, last = raw.first_week, until if until is not None else raw.last_week
    if last is None:
        return []
    return list(range(min(first if first is not None else last, last), last + 1))
