"""The weekly digest (`postlaunch notify`, DESIGN §19): every deployment of one week, worst first — its
level, recommendation with reasons, alerts, serious incidents' reporting deadlines, whether its review
is overdue, the week's standing decision, key numbers and links to the dashboard's views — gathered
through `metrics` on a connection it is handed. The review packs it attaches come from `report.pack`,
the same code as `postlaunch review --format html`. It reads only; rendering is `report.digest_render`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import quote

import duckdb

from metrics.api import build_review, check, portfolio
from metrics.model import Alert, PortfolioRow, Review
from postlaunch import fmt
from postlaunch.config import Context
from postlaunch.decisions import DecisionRecord, standing_decision
from postlaunch.errors import PostlaunchError
from report.pack import build_pack

# A review pack is attached for these recommendations: the owner has to act, and the minutes need it.
PACK_ACTIONS = ("limit", "pause", "stop")


@dataclass(frozen=True)
class Deadline:
    """A serious incident's reporting deadline that is near or passed (not reported yet)."""

    incident_id: str
    severity: str
    title: str | None
    text: str  # `OVERDUE by 2 days — not reported`, `report due in 1 day`
    overdue: bool


@dataclass(frozen=True)
class Entry:
    """One deployment in the digest."""

    deployment: str
    name: str
    owner: str
    risk_tier: str
    level: str  # ok | warn | critical | unknown (no usage data in the week)
    recommendation: str | None
    reasons: list[str]
    alerts: list[Alert]  # every alert of the week (`other_alerts`: those no reason names)
    reason_metrics: frozenset[str]  # metrics this week's reasons rest on
    critical: int
    warn: int
    numbers: list[tuple[str, str]]  # (label, value) of the week's key numbers
    next_review: str | None
    review_overdue: bool
    last_decision: str | None
    last_decision_week: str | None
    decision: DecisionRecord | None  # the week's standing decision
    deadlines: list[Deadline]
    note: str | None  # why there is no review (no usage data in the week)
    links: dict[str, str]  # view -> URL (empty without the dashboard_url setting)
    pack: tuple[str, str] | None = None  # (file name, HTML) of the review pack: limit, pause or stop

    @property
    def other_alerts(self) -> list[Alert]:
        """Alerts the reasons do not already say."""
        return [a for a in self.alerts if a.metric not in self.reason_metrics]


@dataclass(frozen=True)
class Digest:
    week: str
    level: str  # the worst level over its entries (ok < unknown < warn < critical, as `check`)
    entries: list[Entry]  # as the Portfolio orders them: overdue reviews, then worst first
    generated_at: datetime
    dashboard_url: str | None
    links: dict[str, str] = field(default_factory=dict)  # the Portfolio of the week

    def only(self, deployments: tuple[str, ...] | list[str]) -> Digest:
        """The same digest with only `deployments` (an owner's), in the digest's order."""
        wanted = set(deployments)
        entries = [e for e in self.entries if e.deployment in wanted]
        return replace(self, entries=entries, level=worst_level([e.level for e in entries]))

    @property
    def overdue_reviews(self) -> list[Entry]:
        return [e for e in self.entries if e.review_overdue]

    @property
    def deadlines(self) -> list[tuple[Entry, Deadline]]:
        return [(e, d) for e in self.entries for d in e.deadlines]

    def packs(self) -> list[tuple[str, str]]:
        """(file name, HTML) of every attached review pack."""
        return [e.pack for e in self.entries if e.pack is not None]


def worst_level(levels: list[str]) -> str:
    """The worst level as `check` orders them (critical > warn > unknown > ok); unknown without any."""
    severity = {"ok": 0, "unknown": 1, "warn": 2, "critical": 3}
    known = [lvl if lvl in severity else "unknown" for lvl in levels]
    return max(known, key=severity.__getitem__) if known else "unknown"


def links(base: str | None, deployment: str | None, week: str) -> dict[str, str]:
    """The dashboard views the digest links to (none without the dashboard_url setting)."""
    if not base:
        return {}
    w = quote(week)
    if deployment is None:
        return {"portfolio": f"{base}/?week={w}"}
    d = quote(deployment)
    return {
        "weekly review": f"{base}/review?deployment={d}&week={w}",
        "risk & incidents": f"{base}/risk?deployment={d}&week={w}",
        "evidence": f"{base}/evidence?deployment={d}&week={w}",
    }


def _numbers(row: PortfolioRow) -> list[tuple[str, str]]:
    events = fmt.value("events", row.events)
    if row.usage_feed_gap:
        events = f"none for {fmt.plural(row.usage_feed_gap, 'week')}"
    elif row.events_wow_change is not None:
        events += f" ({fmt.value('events_wow_change', row.events_wow_change)})"
    cost = fmt.value("cost_total", row.cost_total, row.currency)
    if row.weekly_budget and row.budget_burn is not None:
        cost += f" of {fmt.money(row.weekly_budget, row.currency)} ({row.budget_burn * 100:.0f}%)"
    return [
        ("events", events),
        ("acceptance", fmt.value("acceptance_rate", row.acceptance_rate)),
        ("out of scope", fmt.value("out_of_scope_share", row.out_of_scope_share)),
        ("cost", cost),
    ]


def _deadlines(review: Review | None) -> list[Deadline]:
    """Serious incidents not reported yet whose deadline has passed or is within a week."""
    if review is None:
        return []
    out = []
    for inc in review.open_incidents:
        if not inc.serious or inc.reported_at:
            continue
        days = inc.days_to_deadline
        if inc.overdue or days is None or days <= 7:
            out.append(
                Deadline(inc.incident_id, inc.severity, inc.title, fmt.deadline_text(inc), inc.overdue)
            )
    return sorted(out, key=lambda d: (not d.overdue, d.incident_id))


def build_digest(
    conn: duckdb.DuckDBPyConnection, ctx: Context, week: str | None = None, *, packs: bool = True
) -> Digest:
    """The digest of `week` (default: the latest week with usage data, as `check`); with `packs`, the
    review pack of every deployment whose recommendation is limit, pause or stop."""
    rows = check(conn, ctx, week=week)
    target = week or next((r.week for r in rows if r.week), None)
    if target is None:
        raise PostlaunchError("no usage data at all: there is no week to send a digest of")
    by_id = {r.deployment: r for r in rows}
    base = ctx.settings.dashboard_url
    entries = []
    for row in portfolio(conn, ctx, target):
        checked = by_id[row.deployment]
        review: Review | None = None
        if checked.level != "unknown":
            try:
                review = build_review(conn, ctx, row.deployment, target)
            except PostlaunchError:
                review = None
        rec = checked.recommendation
        action = rec.action if rec else None
        entries.append(
            Entry(
                deployment=row.deployment,
                name=row.name,
                owner=row.owner,
                risk_tier=row.risk_tier,
                level=checked.level,
                recommendation=action,
                reasons=[r.text for r in rec.reasons] if rec else [],
                alerts=list(checked.alerts),
                reason_metrics=frozenset(r.metric for r in rec.reasons if r.metric and r.week == target)
                if rec
                else frozenset(),
                critical=checked.critical,
                warn=checked.warn,
                numbers=_numbers(row) if checked.level != "unknown" else [],
                next_review=row.next_review,
                review_overdue=row.review_overdue,
                last_decision=row.last_decision,
                last_decision_week=row.last_decision_week,
                decision=standing_decision(conn, row.deployment, target),
                deadlines=_deadlines(review),
                note=checked.note,
                links=links(base, row.deployment, target),
                pack=(f"review-{row.deployment}-{target}.html", build_pack(conn, ctx, review))
                if packs and review and action in PACK_ACTIONS
                else None,
            )
        )
    return Digest(
        week=target,
        level=worst_level([e.level for e in entries]),
        entries=entries,
        generated_at=datetime.now(UTC).replace(tzinfo=None),
        dashboard_url=base,
        links=links(base, None, target),
    )
