"""The readiness checklist of one deployment as it stands for a week's review meeting (DESIGN §13):
the latest record per item with evidence dated by the meeting, its expiry by tier, and the check of each
claim against the data, in a sentence the meeting reads ("training: met, but 14% of this week's use is
by users with no valid training"). Pure functions over `RawData` and the week's metrics; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from metrics.model import MetricResult, ReadinessItem
from metrics.queries import RawData, ReadinessRecord
from postlaunch import fmt
from postlaunch import weeks as wk
from postlaunch.decisions import review_meeting
from postlaunch.readiness import ITEMS, STATUS_READ_DAYS, expiry
from postlaunch.registry import Deployment
from postlaunch.rights import owner_identities

# What a check found: ok (the data agrees), challenged (it contradicts the claim), unknown (the data
# cannot tell), not_checked (the data has nothing to say of this item); and the fact, in words.
Finding = tuple[str, str | None]
_ALERTING = ("warn", "critical")
STATUS_WORDS = {"met": "met", "not_met": "not met", "unknown": "unknown"}


def _use_case(dep: Deployment, raw: RawData, w: int, m: dict[str, MetricResult], ref: date) -> Finding:
    bare = [u for u in dep.approved_use_cases if not dep.use_case_descriptions.get(u, "").strip()]
    if bare:
        return "challenged", f"no description for {', '.join(bare)} in use_case_descriptions"
    return "ok", "every approved use case has a description"


def _owner(dep: Deployment, raw: RawData, w: int, m: dict[str, MetricResult], ref: date) -> Finding:
    owners = owner_identities(dep)
    if owners:
        return "ok", f"owners who sign in: {', '.join(owners)}"
    return "unknown", "the registry names no `owners` who sign in: only governance can record its decisions"


def _testing(dep: Deployment, raw: RawData, w: int, m: dict[str, MetricResult], ref: date) -> Finding:
    return "not_checked", None


def _training(dep: Deployment, raw: RawData, w: int, m: dict[str, MetricResult], ref: date) -> Finding:
    if not raw.has_training:
        return "unknown", "no training records loaded"
    share = m["untrained_use_share"]
    if share.value is None:
        return "unknown", "no use this week to check it against"
    if share.value == 0:
        return "ok", "every user this week had valid training"
    text = f"{fmt.value(share.name, share.value)} of this week's use is by users with no valid training"
    return ("challenged" if share.status in _ALERTING else "ok"), text


def _access(dep: Deployment, raw: RawData, w: int, m: dict[str, MetricResult], ref: date) -> Finding:
    found = []
    teams, classes = m["unapproved_team_share"], m["data_class_violation_share"]
    if teams.status in _ALERTING:
        found.append(
            f"{fmt.value(teams.name, teams.value)} of this week's use is from teams outside approved_teams"
        )
    if classes.status in _ALERTING:
        found.append(
            f"{fmt.value(classes.name, classes.value)} of this week's use carries data above {dep.max_data_class}"
        )
    if found:
        return "challenged", "; ".join(found)
    return "ok", "no alert on unapproved teams or data classes this week"


def _monitoring(dep: Deployment, raw: RawData, w: int, m: dict[str, MetricResult], ref: date) -> Finding:
    found = []
    silent = [x for x in range(w - 3, w + 1) if (u := raw.usage.get(x)) is None or u.events == 0]
    if silent:
        found.append(f"no usage arrived in {', '.join(wk.week_of_index(x) for x in silent)}")
    taken = [next_review for decided_at, next_review in raw.decisions if decided_at.date() <= ref]
    due = taken[-1] if taken else None
    if due is not None and due < ref:
        found.append(f"the review due {due.isoformat()} was not recorded")
    if found:
        return "challenged", "; ".join(found)
    return "ok", "usage arrived in each of the last 4 weeks and no review is overdue"


def _pause(dep: Deployment, raw: RawData, w: int, m: dict[str, MetricResult], ref: date) -> Finding:
    found = []
    lacking = dep.runbook.missing()
    if lacking:
        found.append(f"the runbook lacks {', '.join(lacking)} ([deployments.{dep.id}.runbook])")
    read = ""
    if dep.risk_tier == "high":
        since = ref - timedelta(days=STATUS_READ_DAYS)
        days = [d for d in raw.status_read_days if since <= d <= ref]
        if days:
            read = f"; the app last read its status on {days[-1].isoformat()}"
        else:
            before = [d for d in raw.status_read_days if d < since]
            last = f"last on {before[-1].isoformat()}" if before else "never"
            found.append(
                f"the app has not read its operating status in the {STATUS_READ_DAYS} days to "
                f"{ref.isoformat()} ({last}; high tier)"
            )
    if found:
        return "challenged", "; ".join(found)
    return "ok", "the runbook is complete" + read


CHECKS: dict[str, Callable[[Deployment, RawData, int, dict[str, MetricResult], date], Finding]] = {
    "use_case": _use_case,
    "owner": _owner,
    "testing": _testing,
    "training": _training,
    "access": _access,
    "monitoring": _monitoring,
    "pause": _pause,
}


def standing(records: list[ReadinessRecord], ref: date) -> dict[str, ReadinessRecord]:
    """The record that stands for each item on day `ref`: of those with evidence dated by then, the
    latest evidence; of equal dates, the one recorded last (`records` are in recorded order)."""
    latest: dict[str, ReadinessRecord] = {}
    for rec in records:
        if rec.evidence_date > ref:
            continue
        current = latest.get(rec.item)
        if current is None or rec.evidence_date >= current.evidence_date:
            latest[rec.item] = rec
    return latest


def _message(item: str, rec: ReadinessRecord | None, expires: date | None, expired: bool, f: Finding) -> str:
    check, fact = f
    if rec is None:
        return f"{item}: no readiness record" + (f"; {fact}" if fact else "")
    if rec.status != "met":
        return f"{item}: {STATUS_WORDS[rec.status]} — {rec.evidence}"
    if expired and expires is not None:
        return f"{item}: met, but the evidence expired on {expires.isoformat()} (dated {rec.evidence_date.isoformat()})"
    if check in ("challenged", "unknown") and fact:
        return (
            f"{item}: met, but {fact}"
            if check == "challenged" or item == "training"
            else f"{item}: met; {fact}"
        )
    return f"{item}: met" + (f"; {fact}" if fact else "")


def evaluate(dep: Deployment, raw: RawData, w: int, metrics: dict[str, MetricResult]) -> list[ReadinessItem]:
    """The seven items for the review meeting of week index `w` (the deployment's first review day after
    the week), in checklist order."""
    ref = review_meeting(wk.week_of_index(w), dep.review_day)
    latest = standing(raw.readiness, ref)
    out = []
    for item in ITEMS:
        rec = latest.get(item)
        finding = CHECKS[item](dep, raw, w, metrics, ref)
        expires = expiry(rec.evidence_date, rec.expires, dep.risk_tier) if rec else None
        expired = expires is not None and ref >= expires
        blocks = (
            rec is None
            or rec.status != "met"
            or expired
            or finding[0] == "challenged"
            or (item == "training" and finding[0] == "unknown")
        )
        out.append(
            ReadinessItem(
                item=item,
                status=rec.status if rec else None,
                evidence=rec.evidence if rec else None,
                evidence_date=rec.evidence_date.isoformat() if rec else None,
                expires=expires.isoformat() if expires else None,
                check=finding[0],
                message=_message(item, rec, expires, expired, finding),
                expired=expired,
                reviewed_by=rec.reviewed_by if rec else None,
                blocks_expand=blocks,
            )
        )
    return out
