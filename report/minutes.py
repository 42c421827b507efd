"""The weekly review as Markdown minutes (`postlaunch review --format md`): what the meeting reads top
to bottom — header, recommendation, metric tables per category, alerts, incidents, scope examples,
changes — and the Decision section: the week's standing decision, or blank lines to fill in. Pure: a
`Review` (and the standing `DecisionRecord`) in, text out.
"""

from __future__ import annotations

from typing import Any

from metrics.model import MetricResult, Review
from postlaunch import fmt
from postlaunch.catalog import CATEGORIES
from postlaunch.decisions import DecisionRecord
from report import layout
from report.decision import BLANK, decision_lines, record_line

_TITLES = {
    "quality": "Quality",
    "use": "Use",
    "scope": "Scope",
    "cost": "Cost",
    "risk": "Risk",
    "feedback": "Feedback",
}
_STATUS = {
    "ok": "ok",
    "watch": "watch",
    "warn": "**WARN**",
    "critical": "**CRITICAL**",
    "insufficient_data": "too few data",
    "no_threshold": "—",
}


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell (one line, no pipes)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _line(text: Any) -> str:
    """Text on one line (for list items)."""
    return " ".join(str(text).split())


def period_text(review: Review) -> str:
    """`16-22 Nov 2026`: the review's Monday to Sunday."""
    start, end = fmt.week_dates(review.week)
    if start.month == end.month:
        return f"{start.day}-{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b}-{end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y}-{end.day} {end:%b %Y}"


def _sample(name: str, m: MetricResult) -> str:
    parts = [f"n={m.n:,}" if m.n is not None else "", fmt.interval(m.ci, name)]
    return "; ".join(p for p in parts if p) or "—"


def _threshold(name: str, m: MetricResult) -> str:
    if m.warn is None and m.critical is None:
        return "—"
    word = fmt.relation(name)
    levels = (("warn", m.warn), ("crit", m.critical))
    return ", ".join(f"{level} {word} {fmt.value(name, v)}" for level, v in levels if v is not None)


def _header(review: Review) -> list[str]:
    info = review.deployment_info
    head = f"# {info.name} · {review.week} ({period_text(review)}) · risk {info.risk_tier.upper()} · owner {info.owner}"
    lines = [head, "", f"Deployment `{review.deployment}` · status {info.status}"]
    approved = [f"use cases {', '.join(info.approved_use_cases)}"]
    if info.approved_teams:
        approved.append("teams " + ", ".join(info.approved_teams))
    approved.append(f"max data: {info.max_data_class}")
    if info.weekly_budget is not None:
        approved.append(f"weekly budget {fmt.money(info.weekly_budget, review.currency)}")
    return lines + ["", "Approved: " + " · ".join(approved)]


def _recommendation(review: Review) -> list[str]:
    rec = review.recommendation
    lines = ["", f"## Recommendation: {(rec.action if rec else '?').upper()}", ""]
    reasons = rec.reasons if rec else ()
    lines += [f"- {_line(reason.text)}" for reason in reasons] or ["- no reason given"]
    return lines + ["", "_The dashboard recommends; the owner decides._"]


def _readiness(review: Review) -> list[str]:
    if not review.readiness:
        return []
    lines = [
        "",
        "## Readiness",
        "",
        "| item | status | what the data says | evidence | valid until |",
        "|---|---|---|---|---|",
    ]
    for r in review.readiness:
        label = layout.readiness_label(r)
        lines.append(
            f"| {r.item} | {'**' + label + '**' if r.blocks_expand else label} | {_cell(r.message)} | "
            f"{_cell(r.evidence or '')} | {r.expires or ''} |"
        )
    return lines


def _metric_tables(review: Review) -> list[str]:
    lines = ["", "## Metrics"]
    absent = [f"no {layout.FEED_WORDS[kind]} data loaded" for kind in layout.absent_kinds(review.feeds)]
    if absent:
        lines += ["", f"_For this deployment: {'; '.join(absent)}._"]
    note = layout.cost_note(
        review.metrics["cost_total"].usage_cost_source, review.metrics["cost_total"].unpriced_models
    )
    if note:
        lines += ["", f"_Cost: {note}._"]
    for category in CATEGORIES:
        names = [n for n, m in review.metrics.items() if m.category == category]
        if not names:
            continue
        lines += ["", f"### {_TITLES[category]}", ""]
        lines += [
            "| metric | value | n / 95% CI | status | threshold | previous |",
            "|---|---:|---|---|---|---:|",
        ]
        for name in names:
            m = review.metrics[name]
            lines.append(
                f"| {name} | {fmt.value(name, m.value, review.currency)} | {_sample(name, m)} | "
                f"{_STATUS.get(m.status, m.status)} | {_threshold(name, m)} | "
                f"{fmt.value(name, m.previous, review.currency)} |"
            )
    return lines


def _alerts(review: Review) -> list[str]:
    lines = ["", "## Alerts", ""]
    if not review.alerts:
        return lines + ["None this week."]
    return lines + [f"- **{alert.level.upper()}** {_line(alert.message)}" for alert in review.alerts]


def _incidents(review: Review) -> list[str]:
    lines = ["", "## Open incidents", ""]
    if not review.open_incidents:
        return lines + ["None open at the week's end."]
    lines += [
        "| incident | severity | status | opened | title | serious | reporting deadline |",
        "|---|---|---|---|---|---|---|",
    ]
    for inc in review.open_incidents:
        deadline = fmt.deadline_text(inc)
        lines.append(
            f"| {_cell(inc.incident_id)} | {_cell(inc.severity)} | {_cell(inc.status)} | "
            f"{(inc.opened_at or '')[:10]} | {_cell(inc.title or '')} | {'yes' if inc.serious else 'no'} | "
            f"{'**' + deadline + '**' if inc.overdue else deadline} |"
        )
    return lines


def _examples(review: Review) -> list[str]:
    lines = ["", "## Outside the approved use", ""]
    metric = review.metric("out_of_scope_share")
    how = fmt.estimate_text(metric.estimate, metric.estimate_basis) if metric is not None else None
    if how:
        lines += [f"How the out-of-scope share was made: {how}", ""]
    if not review.out_of_scope_examples:
        return lines + ["No out-of-scope requests this week."]
    for ex in review.out_of_scope_examples:
        lines.append(f"- `{ex.use_case}` ({ex.events:,} events, {ex.source})" + (":" if ex.examples else ""))
        lines += [f"  - “{_line(text)}”" for text in ex.examples]
    return lines


def _changes(review: Review) -> list[str]:
    lines = ["", "## Changes this week", ""]
    if not review.changes:
        return lines + ["No change recorded."]
    for ch in review.changes:
        who = [
            f"by {ch.changed_by}" if ch.changed_by else "",
            f"approved by {ch.approved_by}" if ch.approved_by else "",
        ]
        who = [w for w in who if w]
        lines.append(
            f"- {(ch.ts or '')[:10]} **{_line(ch.kind)}**: {_line(ch.summary)}"
            + (f" ({', '.join(who)})" if who else "")
        )
    return lines


def _new_use_cases(review: Review) -> list[str]:
    """Use cases seen this week that the baseline weeks did not have (metrics decides which)."""
    baseline = review.baseline_weeks
    weeks = f"the baseline weeks {baseline[0]} to {baseline[-1]}" if baseline else "the baseline weeks"
    lines = ["", "## New use cases", ""]
    if not review.new_use_cases:
        return lines + [f"None: every use case of this week was seen in {weeks}."]
    return lines + [f"Seen this week, absent from {weeks}:"] + [f"- `{uc}`" for uc in review.new_use_cases]


def _decision(review: Review, decision: DecisionRecord | None) -> list[str]:
    lines = ["", "## Decision", ""]
    if decision is not None:
        lines += [f"Recorded as {record_line(decision)}:", ""]
        lines += [f"- {label.capitalize()}: {_line(value)}" for label, value in decision_lines(decision)]
        return lines + [
            "",
            f"To replace it: `postlaunch decide --deployment {review.deployment} --week {review.week} "
            '--decision ACTION --rationale "..." --by NAME --supersede`.',
        ]
    hints = {"decision": " (expand | continue | limit | pause | stop)", "actions": " (who, what, by when)"}
    lines += [f"- {label.capitalize()}{hints.get(label, '')}: {BLANK}" for label, _ in decision_lines(None)]
    return lines + [
        "",
        f"Record it with `postlaunch decide --deployment {review.deployment} --week {review.week} "
        '--decision ACTION --rationale "..." --by NAME`.',
    ]


def render_markdown(review: Review, decision: DecisionRecord | None = None) -> str:
    """The review as Markdown minutes, ending with a newline; `decision` is the week's standing decision
    (blank lines to fill in without one)."""
    lines = _header(review)
    for part in (
        _recommendation,
        _readiness,
        _metric_tables,
        _alerts,
        _incidents,
        _examples,
        _changes,
        _new_use_cases,
    ):
        lines += part(review)
    lines += _decision(review, decision)
    return "\n".join(lines) + "\n"
