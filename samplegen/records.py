"""Cost records, incidents and change records of the sample organization, as row dicts.

Daily `usage` cost rows are the sums of the events' own costs (so nothing is counted twice);
incident and change timing is relative to the last week, like every story. Writes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from samplegen.calendar import iso_week_label
from samplegen.events import DAY, SWITCH_SECONDS, SWITCHED_MODEL, Events, epoch

PROVIDER = {
    "gpt-4o-mini": "OpenAI",
    "gpt-4.1-mini": "OpenAI",
    "gpt-4.1": "OpenAI",
    "claude-haiku-4-5": "Anthropic",
}
SERIOUS_INCIDENT = "INC-0431"


def _at(mondays: list[date], week: int, weekday: int, hh: int, mm: int) -> str:
    day = mondays[max(0, min(week, len(mondays) - 1))] + timedelta(days=weekday)
    return f"{day.isoformat()}T{hh:02d}:{mm:02d}:00Z"


def cost_rows(events: list[Events], mondays: list[date]) -> list[dict[str, Any]]:
    """Daily usage rows per deployment, a weekly subscription row, and a few support/rework rows."""
    start = epoch(mondays[0])
    days = 7 * len(mondays)
    last = len(mondays) - 1
    rows: list[dict[str, Any]] = []
    for ev in events:
        dep = ev.dep
        day = (ev.ts - start) // DAY
        amounts = np.bincount(day, weights=ev.cost, minlength=days)
        for d in range(days):
            if amounts[d] > 0:
                when = mondays[0] + timedelta(days=d)
                models = sorted(set(ev.model[day == d]))
                rows.append(
                    {
                        "date": when.isoformat(),
                        "deployment": dep.id,
                        "amount": f"{amounts[d]:.2f}",
                        "category": "usage",
                        "currency": "USD",
                        "description": f"{PROVIDER[models[0]]} API usage ({', '.join(models)})",
                    }
                )
        for monday in mondays:
            rows.append(
                {
                    "date": monday.isoformat(),
                    "deployment": dep.id,
                    "amount": f"{dep.subscription:.2f}",
                    "category": "subscription",
                    "currency": "USD",
                    "description": f"Platform seats and hosting, {iso_week_label(monday)}",
                }
            )
    extras = [
        (
            "hr-assistant",
            round(0.3 * last),
            2,
            45.0,
            "support",
            "Vendor support: handbook re-indexing session",
        ),
        (
            "support-triage",
            round(0.25 * last),
            1,
            80.0,
            "support",
            "Vendor support: classification prompt review",
        ),
        ("support-triage", round(0.6 * last), 3, 95.0, "support", "Vendor support: SSO configuration"),
        ("sales-email-drafter", round(0.4 * last), 2, 60.0, "support", "Vendor support: CRM integration fix"),
        (
            "claims-summarizer",
            round(0.2 * last),
            1,
            110.0,
            "support",
            "Vendor support: document store connector",
        ),
        (
            "claims-summarizer",
            last - 2,
            2,
            90.0,
            "rework",
            f"Manual re-check of summaries sent to brokers after {SERIOUS_INCIDENT}",
        ),
    ]
    for dep_id, week, weekday, amount, category, description in extras:
        when = mondays[week] + timedelta(days=weekday)
        rows.append(
            {
                "date": when.isoformat(),
                "deployment": dep_id,
                "amount": f"{amount:.2f}",
                "category": category,
                "currency": "USD",
                "description": description,
            }
        )
    order = {"usage": 0, "subscription": 1, "support": 2, "rework": 3}
    rows.sort(key=lambda r: (r["date"], r["deployment"], order[r["category"]]))
    return rows


def incident_rows(mondays: list[date]) -> list[dict[str, Any]]:
    """Resolved low/medium incidents (two with their history) and the unreported serious one."""
    last = len(mondays) - 1
    w = round

    def row(
        iid: str,
        opened: str,
        dep: str,
        severity: str,
        category: str,
        status: str,
        resolved: str,
        title: str,
        description: str,
        serious: bool = False,
        aware: str = "",
        kind: str = "",
    ) -> dict[str, Any]:
        return {
            "incident_id": iid,
            "opened_at": opened,
            "deployment": dep,
            "severity": severity,
            "category": category,
            "status": status,
            "resolved_at": resolved,
            "title": title,
            "description": description,
            "serious": "true" if serious else "false",
            "aware_at": aware,
            "reported_at": "",
            "serious_kind": kind,
        }

    claims_outage = (w(0.15 * last), 0)
    hr_quality = (w(0.35 * last), 1)
    support_complaint = (w(0.45 * last), 2)
    rows = [
        row(
            "INC-0408",
            _at(mondays, *claims_outage, 8, 10),
            "claims-summarizer",
            "medium",
            "outage",
            "resolved",
            _at(mondays, *claims_outage, 14, 25),
            "Summaries timed out during the document store migration",
            "Requests over 20 pages failed for six hours while the store was re-indexed.",
        ),
        row(
            "INC-0412",
            _at(mondays, *hr_quality, 10, 20),
            "hr-assistant",
            "low",
            "quality",
            "open",
            "",
            "Assistant quoted last year's leave carry-over rule",
            "Two employees were told they could carry over ten days; the current rule is five.",
        ),
        row(
            "INC-0412",
            _at(mondays, *hr_quality, 10, 20),
            "hr-assistant",
            "low",
            "quality",
            "resolved",
            _at(mondays, hr_quality[0], 3, 16, 0),
            "Assistant quoted last year's leave carry-over rule",
            "Two employees were told they could carry over ten days; the current rule is five. "
            "Handbook re-indexed; both employees contacted.",
        ),
        row(
            "INC-0419",
            _at(mondays, *support_complaint, 15, 5),
            "support-triage",
            "medium",
            "complaint",
            "investigating",
            "",
            "Customer escalated after two misroutes",
            "An Enterprise customer's outage ticket went to billing twice before reaching technical support.",
        ),
        row(
            "INC-0419",
            _at(mondays, *support_complaint, 15, 5),
            "support-triage",
            "medium",
            "complaint",
            "resolved",
            _at(mondays, support_complaint[0], 5, 11, 30),
            "Customer escalated after two misroutes",
            "An Enterprise customer's outage ticket went to billing twice before reaching technical support. "
            "Routing examples for outages added to the prompt.",
        ),
        row(
            "INC-0423",
            _at(mondays, w(0.55 * last), 3, 9, 45),
            "sales-email-drafter",
            "low",
            "quality",
            "resolved",
            _at(mondays, w(0.55 * last), 4, 12, 0),
            "Drafted email cited a customer reference that does not exist",
            "A prospect asked for the named reference customer; the rep had not checked the draft.",
        ),
        row(
            "INC-0427",
            _at(mondays, last - 7, 1, 13, 40),
            "support-triage",
            "low",
            "access",
            "resolved",
            _at(mondays, last - 7, 2, 10, 0),
            "Marketing staff found with access to the triage tool",
            "Four marketing users kept access after a campaign; removed in the access review.",
        ),
        row(
            SERIOUS_INCIDENT,
            _at(mondays, last - 5, 3, 14, 20),
            "claims-summarizer",
            "high",
            "privacy",
            "investigating",
            "",
            "Claim summary included another claimant's bank details and medical notes",
            "A summary sent to a broker mixed documents from two claim files: it held an unrelated claimant's "
            "IBAN and medical notes. Reportable to the regulator; not yet reported.",
            serious=True,
            aware=_at(mondays, last - 4, 1, 11, 0),
            kind="other",  # one claimant's data: the general 15-day clock (Art. 73(2))
        ),
    ]
    rows.sort(key=lambda r: r["opened_at"])  # stable: each incident's history stays in order
    return rows


def change_rows(mondays: list[date]) -> list[dict[str, Any]]:
    """Model, prompt, policy, access, workflow and data changes with who made and approved them."""
    last = len(mondays) - 1
    switch_at = (
        mondays[last - 1].isoformat() + f"T{SWITCH_SECONDS // 3600:02d}:{SWITCH_SECONDS % 3600 // 60:02d}:00Z"
    )
    items = [
        (
            _at(mondays, 1, 1, 9, 30),
            "hr-assistant",
            "prompt",
            "Added the holiday calendars of all six offices to the system prompt",
            "People Systems team",
            "HR Director",
        ),
        (
            _at(mondays, round(0.5 * last), 2, 16, 0),
            "hr-assistant",
            "data",
            "Re-indexed the employee handbook after the expenses policy update",
            "People Systems team",
            "HR Director",
        ),
        (
            _at(mondays, 1, 0, 10, 0),
            "support-triage",
            "prompt",
            "Added priority definitions P1-P4 to the classification prompt",
            "Support tooling (A. Bello)",
            "Head of Support Operations",
        ),
        (
            _at(mondays, round(0.4 * last), 3, 11, 15),
            "support-triage",
            "access",
            "Granted access to the new support-escalations team",
            "IT access management",
            "Head of Support Operations",
        ),
        (
            _at(mondays, last - 4, 0, 8, 0),
            "support-triage",
            "workflow",
            "Embedded the triage panel in the agent reply screen (it was a separate tab)",
            "Support tooling (A. Bello)",
            "Support Tooling Lead",
        ),
        (
            _at(mondays, last - 1, 2, 15, 30),
            "support-triage",
            "policy",
            "Reminder to agents: the assistant is approved for triage only, not for customer replies or refunds",
            "Head of Support Operations",
            "AI Governance Lead",
        ),
        (
            _at(mondays, round(0.3 * last), 1, 14, 0),
            "sales-email-drafter",
            "prompt",
            "Added the EMEA tone guide and the banned-claims list to the prompt",
            "Sales Ops (R. Iyer)",
            "VP Sales",
        ),
        (
            switch_at,
            "sales-email-drafter",
            "model",
            f"Switched from gpt-4o-mini to {SWITCHED_MODEL} for longer, more personalised emails",
            "Sales Ops (R. Iyer)",
            "VP Sales",
        ),
        (
            _at(mondays, 1, 3, 10, 30),
            "claims-summarizer",
            "data",
            "Connected the claims document store (PDF attachments) as a retrieval source",
            "Claims IT (M. Chen)",
            "Claims Operations Manager",
        ),
        (
            _at(mondays, last - 3, 1, 17, 0),
            "claims-summarizer",
            "access",
            "Stopped summary exports to the broker portal pending the incident review",
            "Claims IT (M. Chen)",
            "Claims Operations Manager",
        ),
        (
            _at(mondays, last - 2, 0, 9, 0),
            "claims-summarizer",
            "access",
            "Granted access to the new claims-liability team (training to be scheduled)",
            "Claims IT (M. Chen)",
            "Claims Operations Manager",
        ),
        (
            _at(mondays, last - 3, 3, 9, 0),
            "claims-summarizer",
            "workflow",
            "A handler must check each summary before it leaves the claims system",
            "Claims Operations Manager",
            "Chief Risk Officer",
        ),
    ]
    rows = [
        {"timestamp": t, "deployment": d, "kind": k, "summary": s, "changed_by": c, "approved_by": a}
        for t, d, k, s, c, a in items
    ]
    rows.sort(key=lambda r: (r["timestamp"], r["deployment"]))
    return rows
