"""The recommendation (DESIGN §7): expand, continue, limit, pause or stop, first matching rule wins,
with one reason per alert (or condition) that made the rule fire. A pure function over the alerts of
a deployment's weeks, so it can be tested on small constructed histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from metrics.model import Alert, ReadinessItem, Reason, Recommendation
from postlaunch import weeks as wk
from postlaunch.catalog import Action

EXPAND_MAX_BURN = 0.8
CHECK_A_SAMPLE = (
    "placed by text, not yet checked by a person — check a sample to confirm; at most limit until then"
)
EXPAND_MIN_WEEKS = 4


@dataclass(frozen=True)
class WeekSignals:
    """What the rules read of one week: its alerts and whether it had usage events."""

    week: str
    alerts: tuple[Alert, ...]
    has_events: bool = True
    # scope metrics whose alert rests on placement by text alone (no audit this week, the labelled part
    # below the level): such an alert recommends at most limit, "check a sample" (DESIGN §12, a §7 amendment)
    unconfirmed: frozenset[str] = frozenset()


def _reason(
    rule: int,
    action: Action,
    metric: str | None,
    value: float | int | None,
    threshold: float | None,
    week: str,
    text: str,
) -> Reason:
    return Reason(
        rule=rule, action=action, metric=metric, value=value, threshold=threshold, week=week, text=text
    )


def _recommendation(action: Action, reasons: tuple[Reason, ...]) -> Recommendation:
    return Recommendation(action=action, reasons=reasons)


def _critical(signals: WeekSignals | None, categories: set[str]) -> list[Alert]:
    if signals is None:
        return []
    return [a for a in signals.alerts if a.level == "critical" and a.category in categories]


def _alert_reason(rule: int, action: Action, alert: Alert, week: str, why: str) -> Reason:
    return _reason(
        rule, action, alert.metric, alert.value, alert.threshold, week, f"{week}: {alert.message} ({why})"
    )


def recommend(
    history: Sequence[WeekSignals],
    acceptance_status: str,
    acceptance_value: float | None,
    budget_burn: float | None,
    has_budget: bool,
    acceptance_threshold: float | None = None,
    readiness: Sequence[ReadinessItem] = (),
) -> Recommendation:
    """The recommendation for the last week of `history` (ascending; the weeks before it may be fewer
    than four). `acceptance_*` and `budget_*` are this week's acceptance_rate and budget_burn;
    `readiness` the seven items of DESIGN §13, every one of which expand needs met, unexpired and
    unchallenged (an empty `readiness` is not checked: for histories built without it)."""
    if not history:
        raise ValueError("recommend needs at least this week")
    by_week = {s.week: s for s in history}
    this = history[-1]
    week = this.week

    def back(n: int) -> WeekSignals | None:
        return by_week.get(wk.shift_week(week, -n))

    # 1. stop: a critical quality or risk alert in each of the last three weeks.
    last3 = [back(2), back(1), this]
    per_week = [_critical(s, {"quality", "risk"}) for s in last3]
    if all(per_week):
        reasons = [
            _alert_reason(1, "stop", a, s.week, f"critical {a.category} alert in each of the last 3 weeks")
            for s, alerts in zip(last3, per_week, strict=True)
            if s is not None
            for a in alerts
        ]
        return _recommendation("stop", tuple(reasons))
    # 2. pause: a critical risk or scope alert this week, or quality this week and the week before; never
    # from a scope alert that rests on placement alone (rule 3 limits instead, "check a sample").
    risk_scope = [a for a in _critical(this, {"risk", "scope"}) if a.metric not in this.unconfirmed]
    quality_now, quality_before = _critical(this, {"quality"}), _critical(back(1), {"quality"})
    if risk_scope or (quality_now and quality_before):
        reasons = [
            _alert_reason(2, "pause", a, week, f"critical {a.category} alert this week") for a in risk_scope
        ]
        if quality_now and quality_before:
            prev_week = wk.shift_week(week, -1)
            reasons += [
                _alert_reason(
                    2, "pause", a, prev_week, "critical quality alert this week and the week before"
                )
                for a in quality_before
            ]
            reasons += [
                _alert_reason(2, "pause", a, week, "critical quality alert this week and the week before")
                for a in quality_now
            ]
        return _recommendation("pause", tuple(reasons))
    # 3. limit: any other critical alert this week, or a warn in scope.
    limiting = [
        a for a in this.alerts if a.level == "critical" or (a.level == "warn" and a.category == "scope")
    ]
    if limiting:
        reasons = [
            _alert_reason(
                3, "limit", a, week,
                CHECK_A_SAMPLE if a.metric in this.unconfirmed else f"{a.level} {a.category} alert this week",
            )
            for a in limiting
        ]  # fmt: skip
        return _recommendation("limit", tuple(reasons))
    # 4. expand, else 5. continue with the conditions that failed.
    met: list[Reason] = []
    failed: list[Reason] = []
    weeks_of_data = sum(1 for s in history if s.has_events)
    text = (
        f"{weeks_of_data} week{'s' if weeks_of_data != 1 else ''} of data (expand needs {EXPAND_MIN_WEEKS})"
    )
    (met if weeks_of_data >= EXPAND_MIN_WEEKS else failed).append(
        _reason(4, "expand", "events", weeks_of_data, EXPAND_MIN_WEEKS, week, text)
    )
    last4 = [s for s in (back(3), back(2), back(1), this) if s is not None]
    recent = [(s.week, a) for s in last4 for a in s.alerts]
    if recent:
        latest: dict[str, tuple[str, Alert, int]] = {}
        for w, a in recent:
            seen = latest.get(a.metric)
            latest[a.metric] = (w, a, (seen[2] if seen else 0) + 1)
        for metric, (w, a, count) in sorted(latest.items()):
            failed.append(
                _reason(5, "continue", metric, a.value, a.threshold, w,
                       f"{a.level} alert in {count} of the last 4 weeks, latest {w}: {a.message}")
            )  # fmt: skip
    else:
        met.append(
            _reason(4, "expand", None, None, None, week, "no warn or critical alert in the last 4 weeks")
        )
    if acceptance_status == "ok":
        met.append(
            _reason(
                4,
                "expand",
                "acceptance_rate",
                acceptance_value,
                acceptance_threshold,
                week,
                "acceptance_rate is ok",
            )
        )
    else:
        failed.append(
            _reason(5, "continue", "acceptance_rate", acceptance_value, acceptance_threshold, week,
                   f"acceptance_rate is {acceptance_status} (expand needs ok)")
        )  # fmt: skip
    if not has_budget:
        failed.append(
            _reason(5, "continue", "budget_burn", None, EXPAND_MAX_BURN, week,
                   "no weekly_budget in the registry: expand needs budget_burn at most 0.8")
        )  # fmt: skip
    elif budget_burn is None:
        failed.append(
            _reason(5, "continue", "budget_burn", None, EXPAND_MAX_BURN, week,
                   "no cost data this week: expand needs budget_burn at most 0.8")
        )  # fmt: skip
    elif budget_burn <= EXPAND_MAX_BURN:
        met.append(
            _reason(4, "expand", "budget_burn", budget_burn, EXPAND_MAX_BURN, week,
                   f"budget_burn {budget_burn:.2f} is at most {EXPAND_MAX_BURN}")
        )  # fmt: skip
    else:
        failed.append(
            _reason(5, "continue", "budget_burn", budget_burn, EXPAND_MAX_BURN, week,
                   f"budget_burn {budget_burn:.2f} is above {EXPAND_MAX_BURN} (expand needs at most {EXPAND_MAX_BURN})")
        )  # fmt: skip
    blocking = [r for r in readiness if r.blocks_expand]
    for r in blocking:
        failed.append(
            Reason(rule=5, action="continue", metric=None, value=None, threshold=None, week=week, item=r.item,
                   text=f"readiness {r.message} — expand needs all seven items met, unexpired and unchallenged")
        )  # fmt: skip
    if readiness and not blocking:
        met.append(
            _reason(
                4,
                "expand",
                None,
                None,
                None,
                week,
                "readiness: all seven items met, unexpired and unchallenged",
            )
        )
    if not failed:
        return _recommendation("expand", tuple(met))
    failed = [r.model_copy(update={"rule": 5, "action": "continue"}) for r in failed]
    return _recommendation("continue", tuple(failed))
