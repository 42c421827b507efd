"""The sample organization's training records and readiness checklist (DESIGN §13, §15), as row dicts.

Stories: every user is trained before their first request, except the new claims-liability team
(`org.CLAIMS.new_team`), which starts in the last weeks untrained; sales-email-drafter's testing
evidence expires between the W44 and W45 meetings, so *expand* stops there; support-triage re-tests
every quarter (high tier: valid 3 months); claims-summarizer's access item is not met after INC-0431.
Timing is relative to the sample's weeks, like every story. Writes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from postlaunch.readiness import EXPIRY_MONTHS, add_months
from samplegen.events import Events, new_team_users
from samplegen.org import CLAIMS, HR, SALES, SUPPORT, Deployment

COURSE = "{name}: approved uses, review rules and escalation paths"
LITERACY = "AI literacy for all staff (EU AI Act Art. 4)"
PROVIDER = {"hr-assistant": "People Systems", "support-triage": "Support Enablement",
            "sales-email-drafter": "Sales Enablement", "claims-summarizer": "Claims Academy"}  # fmt: skip
# A service account runs under a trained operator: its record names the operator's course.
SERVICE_COURSE = "Service account run by a trained operator (Claims IT, M. Chen)"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def training_rows(events: list[Events], seed: int) -> list[dict[str, Any]]:
    """One record per person before their first request (a 12-month course), per deployment; the
    People Operations team's literacy course counts for every deployment (blank deployment)."""
    rows: list[dict[str, Any]] = []
    rng = np.random.default_rng([seed, 77])
    for ev in events:
        skip = set(new_team_users(ev.dep))
        first: dict[str, int] = {}
        team_of: dict[str, str] = {}
        for ts, user, team in zip(ev.ts.tolist(), ev.user.tolist(), ev.team.tolist(), strict=True):
            if user not in skip and user not in first:
                first[user], team_of[user] = int(ts), str(team)
        for user in sorted(first):
            done = datetime.fromtimestamp(first[user], UTC).replace(tzinfo=None) - timedelta(
                days=int(rng.integers(2, 45)), hours=int(rng.integers(0, 8))
            )
            everywhere = ev.dep is HR and team_of[user] == "people-ops"
            course = LITERACY if everywhere else COURSE.format(name=ev.dep.name)
            rows.append(
                {
                    "user_id": user,
                    "completed_at": _stamp(done),
                    "deployment": "" if everywhere else ev.dep.id,
                    "course": SERVICE_COURSE if user.startswith("svc-") else course,
                    "expires_at": _stamp(done + timedelta(days=365)),
                    "provider": PROVIDER[ev.dep.id],
                }
            )
    rows.sort(key=lambda r: (r["completed_at"], r["user_id"]))
    return rows


def _record(dep: Deployment, item: str, day: date, evidence: str, by: str, *, status: str = "met",
            expires: date | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "deployment": dep.id,
        "item": item,
        "status": status,
        "evidence": evidence,
        "evidence_date": day.isoformat(),
        "reviewed_by": by,
        "expires": expires.isoformat() if expires else "",
    }


def _checklist(dep: Deployment, day: date, items: tuple[str, ...]) -> list[dict[str, Any]]:
    """`items` of the checklist confirmed met on `day` (testing has its own records)."""
    wiki = f"https://intranet.example.org/ai/{dep.id}"
    evidence = {
        "use_case": (f"{wiki}/charter (task, users, limits and value signed off)", dep.owner),
        "owner": (f"{dep.owner} owns operation, review and changes ({wiki}/raci)", "AI Governance Lead"),
        "training": (f"Course '{COURSE.format(name=dep.name)}' required before access", dep.owner),
        "access": (f"{wiki}/access (approved teams only; data up to {dep.max_data_class})", "IT access management"),
        "monitoring": ("postlaunch weekly review; the owner and the governance lead attend", "AI Governance Lead"),
        "pause": (f"{wiki}/runbook (who may pause, fallback, return criteria)", dep.owner),
    }  # fmt: skip
    return [_record(dep, item, day, *evidence[item]) for item in items]


CONFIRMED = ("use_case", "owner", "training", "access", "monitoring", "pause")


def readiness_rows(first_monday: date, mondays: list[date]) -> list[dict[str, Any]]:
    """The checklist of each deployment, in the order the records were written: met a week before
    launch and re-confirmed by the governance lead a month before it would expire (tier default)."""
    last = len(mondays) - 1
    rows: list[dict[str, Any]] = []
    for dep in (HR, SUPPORT, SALES, CLAIMS):
        launched = first_monday - timedelta(days=dep.launched_days_before)
        day = launched - timedelta(days=7)
        while day <= mondays[last]:
            rows += _checklist(dep, day, CONFIRMED)
            day = add_months(day, EXPIRY_MONTHS[dep.risk_tier] - 1)
        testing = launched - timedelta(days=10)
        if dep is SALES:
            # valid 6 months (medium tier): it expires on the Thursday of W45, after the W44 meeting
            # (Tuesday of W45) and before the W45 meeting (Tuesday of W46)
            testing = add_months(mondays[last - 2] + timedelta(days=3), -6)
        report = (
            f"https://intranet.example.org/ai/{dep.id}/test-report (normal, edge and bad inputs, exceptions)"
        )
        rows.append(_record(dep, "testing", testing, report, "QA lead"))
        if dep is SUPPORT:  # high tier: re-tested every quarter, two weeks before the last test expires
            retest = testing
            while (retest := add_months(retest, 3) - timedelta(days=14)) <= mondays[last]:
                rows.append(_record(dep, "testing", retest, "Quarterly re-test on the current ticket mix "
                                    f"(https://intranet.example.org/ai/{dep.id}/retest-{retest:%Y-%m})", "QA lead"))  # fmt: skip
        if dep is CLAIMS:
            rows.append(_record(dep, "access", mondays[last - 3] + timedelta(days=1),
                                "Summary exports to the broker portal mixed two claim files (INC-0431); exports "
                                "stopped, access under review", "Chief Risk Officer", status="not_met"))  # fmt: skip
    return rows
