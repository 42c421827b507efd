"""The weekly review as Markdown minutes (`postlaunch review --format md`): what the meeting reads
top to bottom — header, recommendation, metric tables per category, alerts, incidents, scope
examples, changes — and a blank Decision section to fill in. Pure: a review dict in, text out.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from metrics.catalog import BY_NAME, CATEGORIES

_ORDER = ("quality", "use", "scope", "cost", "risk", "feedback")
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
    "no_threshold": "–",
}


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell (one line, no pipes)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _line(text: Any) -> str:
    """Text on one line (for list items)."""
    return " ".join(str(text).split())


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def period_text(review: dict[str, Any]) -> str:
    """`16-22 Nov 2026` for the review's period (an end 7 days after the start is exclusive)."""
    period = review.get("period") or {}
    start, end = _day(period.get("start")), _day(period.get("end"))
    if start is None or end is None:
        return ""
    if (end - start).days >= 7:
        end = end - timedelta(days=1)
    if start.month == end.month:
        return f"{start.day}-{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b}-{end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y}-{end.day} {end:%b %Y}"


def format_value(name: str, value: Any, currency: str = "") -> str:
    """A metric value as a person reads it: shares and ratios in %, money with 2 decimals, counts whole."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _cell(value)
    metric = BY_NAME.get(name)
    kind = metric.kind if metric else "ratio"
    if name.endswith("_wow_change"):
        return f"{value * 100:+.1f}%"
    if kind == "proportion" or (kind == "ratio" and name == "budget_burn"):
        return f"{value * 100:.1f}%"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "money":
        return f"{value:,.2f} {currency}".rstrip()
    if kind == "distance":
        return f"{value:.3f}"
    return f"{value:,.2f}"


def _ci(name: str, metric: dict[str, Any]) -> str:
    n = metric.get("n")
    parts = [f"n={n:,}" if isinstance(n, int) else ""]
    ci = metric.get("ci")
    if isinstance(ci, list | tuple) and len(ci) == 2 and None not in ci:
        parts.append(f"CI {format_value(name, ci[0])}–{format_value(name, ci[1])}")
    return "; ".join(p for p in parts if p) or "–"


def _threshold(name: str, metric: dict[str, Any]) -> str:
    warn, crit = metric.get("warn"), metric.get("critical")
    if warn is None and crit is None:
        return "–"
    sign = "<" if metric.get("direction") == "below" else ">"
    if (known := BY_NAME.get(name)) is not None and known.kind == "count":
        sign = "≤" if sign == "<" else "≥"  # counts alert at >= threshold (DESIGN §6)
    bits = []
    if warn is not None:
        bits.append(f"warn {sign}{format_value(name, warn)}")
    if crit is not None:
        bits.append(f"crit {sign}{format_value(name, crit)}")
    return ", ".join(bits)


def _header(review: dict[str, Any]) -> list[str]:
    info = review.get("deployment_info") or {}
    dep = review.get("deployment", "?")
    name = info.get("name") or dep
    head = f"# {name} · {review.get('week', '?')}"
    if period_text(review):
        head += f" ({period_text(review)})"
    if info.get("risk_tier"):
        head += f" · risk {str(info['risk_tier']).upper()}"
    if info.get("owner"):
        head += f" · owner {info['owner']}"
    lines = [head, "", f"Deployment `{dep}`" + (f" · status {info['status']}" if info.get("status") else "")]
    approved = []
    if info.get("approved_use_cases"):
        approved.append("use cases " + ", ".join(info["approved_use_cases"]))
    if info.get("approved_teams"):
        approved.append("teams " + ", ".join(info["approved_teams"]))
    if info.get("max_data_class"):
        approved.append(f"max data: {info['max_data_class']}")
    if info.get("weekly_budget") is not None:
        approved.append(
            f"weekly budget {format_value('cost_total', info['weekly_budget'], _currency(review))}"
        )
    if approved:
        lines += ["", "Approved: " + " · ".join(approved)]
    return lines


def _currency(review: dict[str, Any]) -> str:
    return str(review.get("currency") or (review.get("deployment_info") or {}).get("currency") or "")


def _recommendation(review: dict[str, Any]) -> list[str]:
    rec = review.get("recommendation") or {}
    lines = ["", f"## Recommendation: {str(rec.get('action', '?')).upper()}", ""]
    reasons = rec.get("reasons") or []
    for reason in reasons:
        text = reason.get("text") if isinstance(reason, dict) else reason
        lines.append(f"- {_line(text)}")
    if not reasons:
        lines.append("- no reason given")
    lines += ["", "_The dashboard recommends; the owner decides._"]
    return lines


def _metric_tables(review: dict[str, Any]) -> list[str]:
    metrics: dict[str, dict[str, Any]] = review.get("metrics") or {}
    currency = _currency(review)
    lines = ["", "## Metrics"]
    for category in [c for c in _ORDER if c in CATEGORIES]:
        names = [n for n, m in metrics.items() if m.get("category") == category]
        if not names:
            continue
        lines += ["", f"### {_TITLES[category]}", ""]
        lines += [
            "| metric | value | n / 95% CI | status | threshold | previous |",
            "|---|---:|---|---|---|---:|",
        ]
        for name in names:
            m = metrics[name]
            lines.append(
                f"| {name} | {format_value(name, m.get('value'), currency)} | {_ci(name, m)} | "
                f"{_STATUS.get(str(m.get('status')), _cell(m.get('status')))} | {_threshold(name, m)} | "
                f"{format_value(name, m.get('previous'), currency)} |"
            )
    return lines


def _alerts(review: dict[str, Any]) -> list[str]:
    alerts = review.get("alerts") or []
    lines = ["", "## Alerts", ""]
    if not alerts:
        return lines + ["None this week."]
    for alert in alerts:
        lines.append(
            f"- **{str(alert.get('level', '')).upper()}** {_line(alert.get('message', alert.get('metric')))}"
        )
    return lines


def _incidents(review: dict[str, Any]) -> list[str]:
    incidents = review.get("open_incidents") or []
    lines = ["", "## Open incidents", ""]
    if not incidents:
        return lines + ["None open at the week's end."]
    lines += [
        "| incident | severity | status | opened | title | serious | reporting deadline |",
        "|---|---|---|---|---|---|---|",
    ]
    for inc in incidents:
        deadline = inc.get("deadline") or inc.get("reporting_deadline") or ""
        note = ""
        if inc.get("serious"):
            if inc.get("reported_at"):
                note = f"reported {str(inc['reported_at'])[:10]}"
            elif inc.get("overdue"):
                note = "**overdue, not reported**"
            else:
                note = "not reported yet"
        days = inc.get("days_to_deadline")
        if isinstance(days, int | float) and inc.get("serious") and not inc.get("reported_at"):
            note += f" ({abs(int(days))} days {'left' if days >= 0 else 'ago'})"
        lines.append(
            f"| {_cell(inc.get('incident_id', ''))} | {_cell(inc.get('severity', ''))} | "
            f"{_cell(inc.get('status', ''))} | {str(inc.get('opened_at', ''))[:10]} | {_cell(inc.get('title') or '')} | "
            f"{'yes' if inc.get('serious') else 'no'} | {str(deadline)[:10]} {note}".rstrip()
            + " |"
        )
    return lines


def _examples(review: dict[str, Any]) -> list[str]:
    examples = review.get("out_of_scope_examples") or []
    lines = ["", "## Outside the approved use", ""]
    if not examples:
        return lines + ["No out-of-scope requests this week."]
    for ex in examples:
        if not isinstance(ex, dict):
            lines.append(f"- {_line(ex)}")
            continue
        use_case = ex.get("use_case") or ex.get("inferred_use_case") or "unplaced"
        count = ex.get("events") if ex.get("events") is not None else ex.get("count")
        facts = [f"{count:,} events" if isinstance(count, int) else "", str(ex.get("source") or "")]
        head = f"`{use_case}`" + (f" ({', '.join(f for f in facts if f)})" if any(facts) else "")
        texts = list(ex.get("examples") or [])
        single = ex.get("request_text") or ex.get("example") or ex.get("text")
        if single:
            texts.insert(0, single)
        lines.append(f"- {head}" + (":" if texts else ""))
        lines += [f"  - “{_line(text)}”" for text in texts]
    return lines


def _changes(review: dict[str, Any]) -> list[str]:
    changes = review.get("changes") or []
    lines = ["", "## Changes this week", ""]
    if not changes:
        return lines + ["No change recorded."]
    for ch in changes:
        who = []
        if ch.get("changed_by"):
            who.append(f"by {ch['changed_by']}")
        if ch.get("approved_by"):
            who.append(f"approved by {ch['approved_by']}")
        when = str(ch.get("ts") or ch.get("timestamp") or "")[:10]
        lines.append(
            f"- {when} **{_line(ch.get('kind', ''))}**: {_line(ch.get('summary', ''))}"
            + (f" ({', '.join(who)})" if who else "")
        )
    return lines


def _new_use_cases(review: dict[str, Any]) -> list[str]:
    """Use cases seen this week that the baseline weeks did not have (metrics decides which)."""
    new = review.get("new_use_cases") or []
    baseline = review.get("baseline_weeks") or []
    weeks = f"the baseline weeks {baseline[0]} to {baseline[-1]}" if baseline else "the baseline weeks"
    lines = ["", "## New use cases", ""]
    if not new:
        return lines + [f"None: every use case of this week was seen in {weeks}."]
    lines.append(f"Seen this week, absent from {weeks}:")
    for item in new:
        lines.append(f"- `{item.get('use_case') if isinstance(item, dict) else item}`")
    return lines


def _decision(review: dict[str, Any]) -> list[str]:
    return [
        "",
        "## Decision",
        "",
        "- Decision (expand | continue | limit | pause | stop): ______________________",
        "- Rationale: ______________________________________________________",
        "- Decided by: ______________________",
        "- Attendees: ______________________________________________________",
        "- Actions (who, what, by when): ____________________________________",
        "- Next review: ______________",
        "",
        f"Record it with `postlaunch decide --deployment {review.get('deployment')} --week {review.get('week')} "
        '--decision ACTION --rationale "..." --by NAME`.',
    ]


def render_markdown(review: dict[str, Any]) -> str:
    """The review as Markdown minutes, ending with a newline."""
    lines = _header(review)
    for part in (_recommendation, _metric_tables, _alerts, _incidents, _examples, _changes, _new_use_cases):
        lines += part(review)
    lines += _decision(review)
    return "\n".join(lines) + "\n"
