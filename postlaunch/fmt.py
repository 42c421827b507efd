"""How a number, a week or a deadline reads, in one place: the dashboard, the review pack, the minutes
and the digest all call `value`, so a share reads "18%" everywhere. `plain` is the one other style:
the figures inside alert messages and recommendation reasons, which are part of the review JSON
contract ("0.18 (n=1,240; 95% CI 0.16-0.20)"). Pure functions; no I/O.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from postlaunch.catalog import BY_NAME
from postlaunch.weeks import parse_week


def missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(n: int | float, noun: str) -> str:
    """`1 day`, `3 days`."""
    return f"{n:,.0f} {noun}{'' if n == 1 else 's'}"


# --- the contract style: figures inside alert messages and reasons --------------------------------------


def _decimal(x: float) -> str:
    """Two decimals, or two significant digits for small non-zero values (0.005 stays 0.005)."""
    if x == 0 or abs(x) >= 0.1:
        return f"{x:,.2f}"
    text = f"{x:.2g}"
    if "e" in text:
        text = f"{x:.{2 - int(f'{x:e}'.split('e')[1]) - 1}f}"
    return text


def plain(metric: str, v: float | int | None, currency: str = "USD") -> str:
    """A metric value as alert messages state it: counts whole, money with its code, the rest decimal."""
    if v is None:
        return "n/a"
    m = BY_NAME[metric]
    if m.kind == "count":
        return f"{int(round(v)):,}"
    if m.kind == "money":
        return f"{currency} {v:,.2f}"
    if m.name == "mean_days_to_resolve":
        return f"{v:,.1f} days"
    return _decimal(float(v))


def relation(metric: str) -> str:
    """`above`, `below`, or for counts (which alert at the threshold itself) `at or above`/`at or below`."""
    m = BY_NAME.get(metric)
    below = m is not None and m.direction == "below"
    if m is not None and m.kind == "count":
        return "at or below" if below else "at or above"
    return "below" if below else "above"


# --- the display style: pages, pack, minutes, digest ---------------------------------------------------


def money(v: float, currency: str = "USD", cents: bool = False) -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}.get(currency.upper())
    body = f"{abs(v):,.2f}" if cents else f"{abs(v):,.0f}"
    sign = "-" if v < 0 else ""
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency.upper()}"


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


def is_zero_delta(text: str | None) -> bool:
    """A formatted delta that rounds to nothing (`+0`, `+0.0 pp`, `+$0.00 (+0%)`)."""
    digits = [c for c in (text or "") if c.isdigit()]
    return bool(digits) and set(digits) == {"0"}


def interval(ci: Any, metric: str) -> str:
    if not ci or len(ci) != 2 or missing(ci[0]) or missing(ci[1]):
        return ""
    return f"95% CI {value(metric, ci[0])}–{value(metric, ci[1])}"


def with_n(metric: str, v: Any, n: Any, ci: Any, currency: str = "USD") -> str:
    """`18% (n=1,240; 95% CI 16%–20%)`: the value with the sample it rests on."""
    text = value(metric, v, currency)
    extras = []
    spec = BY_NAME.get(metric)
    if not missing(n) and spec is not None and spec.kind in ("proportion", "mean", "distance"):
        extras.append(f"n={n:,.0f}")
    shown = interval(ci, metric)
    if shown:
        extras.append(shown)
    return f"{text} ({'; '.join(extras)})" if extras else text


def threshold_text(metric: str, level: str, threshold: Any) -> str:
    """`above critical 5.0%`."""
    return f"{relation(metric)} {level} {value(metric, threshold)}"


def since_text(weeks_in_a_row: int, since: str | None) -> str:
    if weeks_in_a_row > 1:
        streak = f"{ordinal(weeks_in_a_row)} week in a row"
        return f"{streak} (since {since})" if since else streak
    return "new this week"


# --- weeks, dates and deadlines ------------------------------------------------------------------------


def week_dates(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week `YYYY-Www`."""
    monday = parse_week(week)
    return monday, monday + timedelta(days=6)


def week_label(week: str) -> str:
    """`2026-W47 (16–22 Nov)`."""
    try:
        start, end = week_dates(week)
    except Exception:  # noqa: BLE001 - a label never fails: an odd week shows as given
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


def clock(moment_utc: datetime, tz: str, reference_utc: datetime | None = None, seconds: bool = False) -> str:
    """A naive-UTC moment as local clock time in zone `tz`: `10:02` (`10:02:05` with seconds), with the
    date in front when it is not the day of `reference_utc` (default: the moment's own day)."""
    zone = ZoneInfo(tz)
    local = moment_utc.replace(tzinfo=UTC).astimezone(zone)
    ref = (reference_utc or moment_utc).replace(tzinfo=UTC).astimezone(zone)
    text = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return text if local.date() == ref.date() else f"{local:%Y-%m-%d} {text}"


def minutes_text(minutes: float) -> str:
    """`23 min`, `2 h 05 min`, `3 days`."""
    if minutes < 60:
        return f"{max(0, int(minutes))} min"
    if minutes < 48 * 60:
        return f"{int(minutes // 60)} h {int(minutes % 60):02d} min"
    return plural(int(minutes // 1440), "day")


class Reportable(Protocol):
    """What a reporting deadline is read from (an open incident of the review)."""

    @property
    def serious(self) -> bool: ...
    @property
    def reported_at(self) -> str | None: ...
    @property
    def deadline(self) -> str | None: ...
    @property
    def days_to_deadline(self) -> float | None: ...
    @property
    def overdue(self) -> bool: ...
    @property
    def serious_kind(self) -> str | None: ...
    @property
    def deadline_days(self) -> int | None: ...


def clock_rule(incident: Reportable) -> str:
    """`10-day clock: death`, `15-day clock`: which reporting clock applies (empty when none does)."""
    if not incident.serious or incident.deadline_days is None:
        return ""
    kind = f": {incident.serious_kind.replace('_', ' ')}" if incident.serious_kind else ""
    return f"{incident.deadline_days}-day clock{kind}"


def deadline_text(incident: Reportable) -> str:
    """`OVERDUE by 2 days — not reported (deadline 2026-11-04; 15-day clock)`, `report due in 1 day
    (deadline 2026-11-24; 2-day clock: critical infrastructure)`, `reported 2026-11-20`, ... The days
    count from the end of the reviewed week."""
    if incident.reported_at:
        d = as_date(incident.reported_at)
        return f"reported {d.isoformat() if d else incident.reported_at}"
    if not incident.serious:
        return "not a serious incident"
    d = as_date(incident.deadline)
    rule = clock_rule(incident)
    detail = "; ".join(x for x in (f"deadline {d.isoformat()}" if d else "", rule) if x)
    tail = f" ({detail})" if detail else ""
    if incident.days_to_deadline is None or missing(incident.days_to_deadline):
        return f"report by {d.isoformat()}" if d else "report deadline unknown"
    days = int(incident.days_to_deadline)
    if incident.overdue or days < 0:
        return f"OVERDUE by {plural(abs(days), 'day')} — not reported{tail}"
    if days == 0:
        return f"report due today{tail}"
    return f"report due in {plural(days, 'day')}{tail}"


# --- short names of metrics ----------------------------------------------------------------------------

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
    "untrained_use_share": "untrained use",
    "serious_incidents_due_soon": "reports due soon",
    "negative_feedback_share": "negative",
    "feedback_count": "feedback rows",
}


def short(metric: str) -> str:
    return SHORT.get(metric, metric.replace("_", " "))


CHECK_A_SAMPLE = "placed by text, not yet checked by a person — check a sample to confirm"


def estimate_text(estimate: Any, basis: str | None = None) -> str | None:
    """How a scope figure was made, in words (the `estimate` of DESIGN §12), or None without one."""
    if not isinstance(estimate, dict) or "method" not in estimate:
        return None
    audited, inferred, labelled = (
        int(estimate.get(k) or 0) for k in ("audited_n", "inferred_n", "labelled_n")
    )
    parts = [f"{labelled:,} labelled"] if labelled else []
    if estimate["method"] == "labelled":
        return f"from labels alone ({labelled:,} requests with a use case label)" if labelled else None
    if estimate["method"] == "audited":
        text = (
            f"checked by a person: {audited:,} of this week's requests in the audit sample; "
            f"{inferred:,} more placed by text and corrected with what the checks found"
        )
    else:
        text = f"{CHECK_A_SAMPLE} ({inferred:,} requests placed by text)"
    if parts:
        text += f"; {', '.join(parts)}"
    return text + (f". {basis[0].upper()}{basis[1:]}." if basis else "")
