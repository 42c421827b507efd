"""How numbers, weeks and statuses read on the pages and in the review pack: one place, so the
dashboard and the HTML pack say the same thing. Pure functions over the review JSON; no I/O.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from metrics.catalog import BY_NAME

# Worst first; used to order and colour statuses everywhere.
STATUS_ORDER: dict[str, int] = {
    "critical": 0,
    "warn": 1,
    "watch": 2,
    "insufficient_data": 3,
    "ok": 4,
    "no_threshold": 5,
}
STATUS_COLOR: dict[str, str] = {
    "critical": "#c62828",
    "warn": "#ef8f00",
    "watch": "#f2c200",
    "insufficient_data": "#8c8c8c",
    "ok": "#2e7d32",
    "no_threshold": "#8c8c8c",
}
STATUS_LABEL: dict[str, str] = {
    "critical": "critical",
    "warn": "warn",
    "watch": "watch",
    "insufficient_data": "too few data",
    "ok": "ok",
    "no_threshold": "no threshold",
}
# Streamlit Markdown badges (no emoji font needed).
STATUS_BADGE: dict[str, str] = {
    "critical": ":red-badge[critical]",
    "warn": ":orange-badge[warn]",
    "watch": ":yellow-badge[watch]",
    "insufficient_data": ":gray-badge[too few data]",
    "ok": ":green-badge[ok]",
    "no_threshold": "",
}
ACTION_COLOR: dict[str, str] = {
    "expand": "#2e7d32",
    "continue": "#1565c0",
    "limit": "#ef8f00",
    "pause": "#c62828",
    "stop": "#6a1b1b",
}
ACTIONS: tuple[str, ...] = ("expand", "continue", "limit", "pause", "stop")


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def worst_status(statuses: list[str]) -> str:
    """The worst of `statuses` that carries a judgement (ok when none does)."""
    judged = [s for s in statuses if s in ("critical", "warn", "watch", "ok")]
    if not judged:
        return "insufficient_data" if "insufficient_data" in statuses else "no_threshold"
    return min(judged, key=lambda s: STATUS_ORDER[s])


def value(metric: str, v: Any, currency: str = "USD") -> str:
    """A metric value as a person reads it: shares in %, money with its currency, counts with commas."""
    if missing(v):
        return "—"
    spec = BY_NAME.get(metric)
    kind = spec.kind if spec else "ratio"
    if kind == "proportion":
        return f"{v * 100:.1f}%" if abs(v) < 0.1 else f"{v * 100:.0f}%"
    if kind == "count":
        return f"{v:,.0f}"
    if kind == "money":
        return money(v, currency, cents=abs(v) < 100)
    if kind == "mean":
        return f"{v:.1f} d" if spec and spec.unit == "days" else f"{v:.2f}"
    if kind == "distance":
        return f"{v:.2f}"
    if metric == "budget_burn":
        return f"{v * 100:.0f}% of budget"
    if metric.endswith("_wow_change"):
        return "±0%" if abs(v) < 0.005 else f"{v * 100:+.0f}%"
    return f"{v:.2f}"


def money(v: float, currency: str = "USD", cents: bool = False) -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}.get(currency.upper())
    body = f"{abs(v):,.2f}" if cents else f"{abs(v):,.0f}"
    sign = "-" if v < 0 else ""
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency.upper()}"


def delta(metric: str, v: Any, previous: Any, currency: str = "USD") -> str | None:
    """Week-over-week change as text (percentage points for shares), or None without both weeks."""
    if missing(v) or missing(previous):
        return None
    spec = BY_NAME.get(metric)
    kind = spec.kind if spec else "ratio"
    diff = v - previous
    if kind == "proportion":
        return f"{diff * 100:+.1f} pp"
    if kind == "count":
        return f"{diff:+,.0f}"
    if kind == "money":
        pct = f" ({diff / previous * 100:+.0f}%)" if previous else ""
        return ("+" if diff >= 0 else "-") + money(abs(diff), currency, cents=abs(diff) < 100) + pct
    if metric == "budget_burn" or metric.endswith("_wow_change"):
        return f"{diff * 100:+.0f} pp"
    return f"{diff:+.2f}"


def interval(ci: Any, metric: str) -> str:
    if not ci or len(ci) != 2 or missing(ci[0]) or missing(ci[1]):
        return ""
    return f"95% CI {value(metric, ci[0])}–{value(metric, ci[1])}"


def with_n(metric: str, m: dict[str, Any], currency: str = "USD") -> str:
    """`18% (n=1,240; 95% CI 16%-20%)`: the value with the sample it rests on."""
    text = value(metric, m.get("value"), currency)
    extras = []
    n = m.get("n")
    if (
        not missing(n)
        and BY_NAME.get(metric) is not None
        and BY_NAME[metric].kind in ("proportion", "mean", "distance")
    ):
        extras.append(f"n={n:,.0f}")
    ci = interval(m.get("ci"), metric)
    if ci:
        extras.append(ci)
    return f"{text} ({'; '.join(extras)})" if extras else text


def week_dates(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week `YYYY-Www`."""
    year, num = week.split("-W")
    monday = date.fromisocalendar(int(year), int(num), 1)
    return monday, monday + timedelta(days=6)


def week_label(week: str, period: dict[str, Any] | None = None) -> str:
    """`2026-W47 (16–22 Nov)`."""
    try:
        start, end = week_dates(week)
    except (ValueError, AttributeError):
        return str(week)
    if start.month == end.month:
        span = f"{start.day}–{end.day} {end:%b}"
    else:
        span = f"{start.day} {start:%b} – {end.day} {end:%b}"
    return f"{week} ({span})"


def as_date(v: Any) -> date | None:
    if missing(v) or v == "":
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return datetime.fromisoformat(str(v).replace("Z", "+00:00")).date()
    except ValueError:
        return None


def deadline_text(incident: dict[str, Any]) -> str:
    """`overdue by 2 days`, `due in 5 days`, `reported 2026-11-20` or `not reportable`."""
    if incident.get("reported_at"):
        d = as_date(incident["reported_at"])
        return f"reported {d.isoformat() if d else incident['reported_at']}"
    if not incident.get("serious"):
        return "not a serious incident"
    raw_days = incident.get("days_to_deadline")
    if raw_days is None or missing(raw_days):
        d = as_date(incident.get("deadline"))
        return f"report by {d.isoformat()}" if d else "report deadline unknown"
    days = int(raw_days)
    if incident.get("overdue") or days < 0:
        late = abs(days)
        return f"OVERDUE by {late} day{'s' if late != 1 else ''} — not reported"
    if days == 0:
        return "report due today"
    return f"report due in {days} day{'s' if days != 1 else ''}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def since_text(alert: dict[str, Any]) -> str:
    weeks = alert.get("weeks_in_a_row")
    since = alert.get("since")
    if weeks and int(weeks) > 1:
        return (
            f"{ordinal(int(weeks))} week in a row (since {since})"
            if since
            else f"{ordinal(int(weeks))} week in a row"
        )
    return "new this week"


def threshold_text(alert: dict[str, Any]) -> str:
    metric = alert.get("metric", "")
    spec = BY_NAME.get(metric)
    word = "below" if spec is not None and spec.direction == "below" else "above"
    if spec is not None and spec.kind == "count":
        word = "at or above"
    return f"{word} {alert.get('level', '')} {value(metric, alert.get('threshold'))}"


# The category tiles of the Weekly review and the pack: (category, headline metric, supporting metrics).
TILES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("quality", "acceptance_rate", ("error_rate", "rework_rate", "mean_rating")),
    ("use", "events", ("active_users", "events_wow_change")),
    (
        "scope",
        "out_of_scope_share",
        ("unapproved_team_share", "data_class_violation_share", "use_case_drift_js"),
    ),
    ("cost", "cost_total", ("budget_burn", "cost_per_event", "cost_wow_change")),
    ("risk", "open_incidents", ("overdue_serious_incidents", "open_high_severity_incidents", "pii_share")),
    ("feedback", "negative_feedback_share", ("feedback_count",)),
)


def category_status(review: dict[str, Any], category: str) -> str:
    """The worst status among the review's metrics of `category`."""
    statuses = [
        m.get("status", "no_threshold")
        for name, m in review.get("metrics", {}).items()
        if (m.get("category") or (BY_NAME[name].category if name in BY_NAME else None)) == category
    ]
    return worst_status(statuses)


def delta_color(metric: str) -> str:
    """For st.metric: rising cost, shares of trouble and incidents show red; rising acceptance green."""
    if metric in ("events", "active_users", "feedback_count", "events_wow_change"):
        return "off"
    spec = BY_NAME.get(metric)
    return "normal" if spec is not None and spec.direction == "below" else "inverse"


SHORT: dict[str, str] = {
    "acceptance_rate": "acceptance",
    "error_rate": "errors",
    "escalation_rate": "escalations",
    "rework_rate": "rework",
    "mean_rating": "rating",
    "events": "events",
    "active_users": "users",
    "events_wow_change": "vs last week",
    "out_of_scope_share": "out of scope",
    "unapproved_team_share": "other teams",
    "data_class_violation_share": "data class",
    "use_case_drift_js": "use-case drift",
    "unlabeled_share": "unlabeled",
    "cost_total": "cost",
    "budget_burn": "budget",
    "cost_per_event": "per event",
    "cost_wow_change": "vs 4-wk mean",
    "open_incidents": "open incidents",
    "overdue_serious_incidents": "overdue serious",
    "open_high_severity_incidents": "open high-sev",
    "pii_share": "personal data",
    "negative_feedback_share": "negative",
    "feedback_count": "feedback rows",
}


def short(metric: str) -> str:
    return SHORT.get(metric, metric.replace("_", " "))


def is_zero_delta(text: str | None) -> bool:
    """A formatted delta that rounds to nothing (`+0`, `+0.0 pp`, `+$0.00 (+0%)`)."""
    digits = [c for c in (text or "") if c.isdigit()]
    return bool(digits) and set(digits) == {"0"}
