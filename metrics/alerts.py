"""Alerts (DESIGN §6): one per metric whose status is warn or critical, with its streak and a message
that says what, how much, against what and since when. Also the number formats used in messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from metrics.catalog import BY_NAME
from metrics.model import Alert, MetricResult


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _decimal(x: float) -> str:
    """Two decimals, or two significant digits for small non-zero values (0.005 stays 0.005)."""
    if x == 0 or abs(x) >= 0.1:
        return f"{x:,.2f}"
    text = f"{x:.2g}"
    if "e" in text:
        text = f"{x:.{2 - int(f'{x:e}'.split('e')[1]) - 1}f}"
    return text


def format_value(metric: str, value: float | int | None, currency: str = "USD") -> str:
    """A metric value as a person reads it: counts as integers, money with currency, the rest decimal."""
    if value is None:
        return "n/a"
    m = BY_NAME[metric]
    if m.kind == "count":
        return f"{int(round(value)):,}"
    if m.kind == "money":
        return f"{currency} {value:,.2f}"
    if m.name == "mean_days_to_resolve":
        return f"{value:,.1f} days"
    return _decimal(float(value))


def relation(metric: str) -> str:
    m = BY_NAME[metric]
    if m.direction == "above":
        return "at or above" if m.kind == "count" else "above"
    return "at or below" if m.kind == "count" else "below"


def alert_message(
    result: MetricResult, level: str, threshold: float | None, weeks_in_a_row: int, currency: str = "USD"
) -> str:
    name = result.name
    parts = []
    if result.n is not None and BY_NAME[name].kind in ("proportion", "mean", "distance"):
        parts.append(f"n={result.n:,}")
    if result.ci is not None:
        parts.append(
            f"95% CI {format_value(name, result.ci[0], currency)}-{format_value(name, result.ci[1], currency)}"
        )
    detail = f" ({'; '.join(parts)})" if parts else ""
    streak = f"{ordinal(weeks_in_a_row)} week in a row" if weeks_in_a_row > 1 else "1st week"
    return (
        f"{name} {format_value(name, result.value, currency)}{detail} {relation(name)} {level} "
        f"{format_value(name, threshold, currency)} — {streak}"
    )


def _reaches(status: str, level: str) -> bool:
    return status == "critical" if level == "critical" else status in ("warn", "critical")


def week_alerts(
    weeks: Sequence[str],
    statuses: Sequence[dict[str, MetricResult]],
    index: int,
    currency: str = "USD",
) -> list[Alert]:
    """Alerts of week `weeks[index]`; `statuses` holds every week's metrics (contiguous weeks).

    weeks_in_a_row counts the weeks up to this one whose status stayed at this level or worse
    (critical for a critical alert, warn or critical for a warn); `since` is the first of them.
    """
    alerts: list[Alert] = []
    for name, result in statuses[index].items():
        level = result.status
        if level not in ("warn", "critical"):
            continue
        run = 1
        while index - run >= 0 and _reaches(statuses[index - run][name].status, level):
            run += 1
        threshold = result.critical if level == "critical" else result.warn
        alerts.append(
            Alert(
                metric=name,
                category=result.category,
                level=level,
                value=result.value,
                threshold=threshold,
                message=alert_message(result, level, threshold, run, currency),
                n=result.n,
                ci=result.ci,
                weeks_in_a_row=run,
                since=weeks[index - run + 1],
                week=weeks[index],
            )
        )
    alerts.sort(
        key=lambda a: (0 if a.level == "critical" else 1, _CATEGORY_ORDER.get(a.category, 9), a.metric)
    )
    return alerts


_CATEGORY_ORDER = {"risk": 0, "scope": 1, "quality": 2, "cost": 3, "feedback": 4, "use": 5}
