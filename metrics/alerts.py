"""Alerts (DESIGN §6): one per metric whose status is warn or critical, with its streak and a message
that says what, how much, against what and since when (figures in `postlaunch.fmt.plain`).
"""

from __future__ import annotations

from collections.abc import Sequence

from metrics.model import Alert, MetricResult
from postlaunch.catalog import BY_NAME, AlertLevel
from postlaunch.fmt import ordinal, plain, relation


def alert_message(
    result: MetricResult,
    level: AlertLevel,
    threshold: float | None,
    weeks_in_a_row: int,
    currency: str = "USD",
) -> str:
    name = result.name
    parts = []
    if result.n is not None and BY_NAME[name].kind in ("proportion", "mean", "distance"):
        parts.append(f"n={result.n:,}")
    if result.ci is not None:
        parts.append(f"95% CI {plain(name, result.ci[0], currency)}-{plain(name, result.ci[1], currency)}")
    detail = f" ({'; '.join(parts)})" if parts else ""
    streak = f"{ordinal(weeks_in_a_row)} week in a row" if weeks_in_a_row > 1 else "1st week"
    return (
        f"{name} {plain(name, result.value, currency)}{detail} {relation(name)} {level} "
        f"{plain(name, threshold, currency)} — {streak}"
    )


def _reaches(status: str, level: AlertLevel) -> bool:
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
        level: AlertLevel
        if result.status == "critical":
            level = "critical"
        elif result.status == "warn":
            level = "warn"
        else:
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
