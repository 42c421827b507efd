"""The sample organization: four deployments, what each is approved for, and the knobs of its story.

Static declarations plus the registry (`postlaunch.toml`) rendered from them. Story timing is
relative to the last week, so every `--weeks >= 6` tells the same stories. No randomness here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from samplegen import texts

# Invented rate card (USD per 1M input / output tokens); only ratios matter, the weekly usage cost
# of each deployment is calibrated to `usage_cost` over its baseline weeks.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1-mini": (0.40, 1.60),
    "claude-haiku-4-5": (1.00, 5.00),
    "gpt-4.1": (2.00, 8.00),
}
MS_PER_TOKEN: dict[str, float] = {
    "gpt-4o-mini": 11.0,
    "gpt-4.1-mini": 14.0,
    "claude-haiku-4-5": 9.0,
    "gpt-4.1": 19.0,
}


@dataclass(frozen=True)
class Deployment:
    id: str
    name: str
    owner: str
    risk_tier: str
    launched_days_before: int  # launched this many days before the first sample week
    approved: dict[str, str]  # approved use case -> one-sentence description
    mix: dict[str, float]  # labelled use-case mix in a normal week (unapproved ones included)
    approved_teams: tuple[str, ...]
    team_users: dict[str, int]  # users per team, approved teams first, then unapproved ones
    unapproved_team_share: float
    max_data_class: str
    data_class_mix: dict[str, float]  # classes within the limit
    violation_share: float  # events one class above max_data_class
    weekly_budget: float
    review_day: str
    base_events: int  # per week at --scale 1
    floor_events: int  # per week whatever the scale, so the minimum-n rules hold
    unlabeled_share: float  # events with a request_text but no use_case label
    text_share: float  # labelled events that carry a request_text
    pii_share: float  # of events with text; exact per week
    pii_share_off_scope: float
    outcomes: dict[str, float]  # error / refused / escalated shares; the rest is ok
    model: str
    tokens: tuple[int, int]  # median input / output tokens
    usage_cost: float  # weekly usage cost in the baseline weeks
    subscription: float  # weekly subscription row
    weekend_weight: float
    feedback_rate: float
    feedback_floor: int
    acceptance: float
    negative_share: float
    sources: dict[str, float]
    bulk_rows_per_week: int = 0  # rows with requests > 1 (a nightly batch)
    thresholds: dict[str, tuple[float, float]] = field(default_factory=dict)
    runbook: dict[str, Any] = field(default_factory=dict)  # [deployments.X.runbook]
    # A team that starts using it in the last weeks without training: (team, users, share of the week's
    # events, weeks before the end it starts). Approved in the registry; its users get no training record.
    new_team: tuple[str, int, float, int] | None = None

    @property
    def unapproved_teams(self) -> tuple[str, ...]:
        return tuple(t for t in self.team_users if t not in self.approved_teams)


HR = Deployment(
    id="hr-assistant",
    name="People helpdesk assistant",
    owner="HR Director",
    risk_tier="low",
    launched_days_before=147,
    approved={
        "policy_question": "Answer an employee's question about a company policy from the employee handbook",
        "leave_and_absence": "Explain annual leave, parental leave, sick days and other absence rules and how to record them",
        "benefits_explanation": "Explain pension, health cover and other employee benefits and how to claim them",
        "onboarding_help": "Prepare checklists, welcome notes and first-week plans for new starters",
    },
    mix={
        "policy_question": 0.36,
        "leave_and_absence": 0.30,
        "benefits_explanation": 0.20,
        "onboarding_help": 0.125,
        "performance_review_drafting": 0.015,
    },
    approved_teams=("engineering", "finance", "sales", "operations", "people-ops", "legal"),
    team_users={
        "engineering": 140,
        "finance": 45,
        "sales": 80,
        "operations": 90,
        "people-ops": 18,
        "legal": 12,
        "contractors": 25,
    },
    unapproved_team_share=0.02,
    max_data_class="confidential",
    data_class_mix={"public": 0.10, "internal": 0.55, "confidential": 0.35},
    violation_share=0.003,
    weekly_budget=600.0,
    review_day="thursday",
    base_events=2400,
    floor_events=300,
    unlabeled_share=0.0,
    text_share=0.95,
    pii_share=0.012,
    pii_share_off_scope=0.012,
    outcomes={"error": 0.015, "refused": 0.01, "escalated": 0.0},
    model="gpt-4o-mini",
    tokens=(1800, 320),
    usage_cost=180.0,
    subscription=90.0,
    weekend_weight=0.08,
    feedback_rate=0.035,
    feedback_floor=60,
    acceptance=0.86,
    negative_share=0.08,
    sources={"user": 0.8, "reviewer": 0.2},
    thresholds={"pii_share": (0.03, 0.10)},
    runbook={
        "may_pause": ["hr.director@example.org", "governance"],
        "fallback": "Employees ask the People helpdesk by e-mail or phone; answers from the handbook",
        "safe_state": "The assistant tab in the intranet shows the helpdesk contacts instead",
        "return_criteria": ["The cause is fixed and re-tested on the handbook questions"],
        "notify": ["People helpdesk team", "Model provider (OpenAI account)"],
    },
)

SUPPORT = Deployment(
    id="support-triage",
    name="Support ticket triage",
    owner="Head of Support Operations",
    risk_tier="high",
    launched_days_before=24,
    approved={
        "ticket_classification": "Assign an incoming support ticket to a product area and a priority",
        "routing_suggestion": "Suggest which support queue or team should handle a ticket",
        "kb_article_suggestion": "Find help-centre articles and internal runbooks that answer a ticket",
    },
    mix={
        "ticket_classification": 0.52,
        "routing_suggestion": 0.30,
        "kb_article_suggestion": 0.175,
        "drafting_customer_replies": 0.004,
        "refund_decision": 0.001,
    },
    approved_teams=("support-l1", "support-l2", "support-escalations"),
    team_users={"support-l1": 38, "support-l2": 16, "support-escalations": 6, "marketing": 4},
    unapproved_team_share=0.002,
    max_data_class="confidential",
    data_class_mix={"internal": 0.70, "confidential": 0.30},
    violation_share=0.0,
    weekly_budget=1500.0,
    review_day="monday",
    base_events=5000,
    floor_events=1200,
    unlabeled_share=0.35,
    text_share=0.85,
    pii_share=0.003,
    pii_share_off_scope=0.04,
    outcomes={"error": 0.005, "refused": 0.005, "escalated": 0.04},
    model="claude-haiku-4-5",
    tokens=(1400, 180),
    usage_cost=700.0,
    subscription=200.0,
    weekend_weight=0.35,
    feedback_rate=0.03,
    feedback_floor=70,
    acceptance=0.91,
    negative_share=0.05,
    sources={"user": 0.5, "reviewer": 0.3, "customer": 0.2},
    runbook={
        "may_pause": ["head.of.support.operations@example.org", "governance"],
        "fallback": "Agents triage and route tickets by hand with the routing table on the support wiki",
        "safe_state": "The triage panel is hidden; new tickets land in the general queue",
        "return_criteria": [
            "Out-of-scope share below 2% in a checked sample of 100 requests",
            "Agents re-briefed on the approved use (triage only: no replies, no refunds)",
        ],
        "notify": [
            "Model provider (Anthropic account team)",
            "Support team leads (L1, L2, escalations)",
            "Data protection officer",
        ],
    },
)

SALES = Deployment(
    id="sales-email-drafter",
    name="Sales email drafter",
    owner="VP Sales",
    risk_tier="medium",
    launched_days_before=66,
    approved={
        "prospect_outreach": "Write a first outreach email or message to a prospective customer",
        "follow_up_email": "Write a follow-up email after a demo, a proposal or a trial",
        "meeting_recap": "Turn sales call notes into a recap email with next steps",
    },
    mix={
        "prospect_outreach": 0.38,
        "follow_up_email": 0.40,
        "meeting_recap": 0.21,
        "discount_approval": 0.01,
    },
    approved_teams=("sales-emea", "sales-na", "sales-apac"),
    team_users={"sales-emea": 22, "sales-na": 26, "sales-apac": 10, "customer-success": 8},
    unapproved_team_share=0.01,
    max_data_class="internal",
    data_class_mix={"public": 0.30, "internal": 0.70},
    violation_share=0.001,
    weekly_budget=800.0,
    review_day="tuesday",
    base_events=1400,
    floor_events=250,
    unlabeled_share=0.0,
    text_share=0.90,
    pii_share=0.008,
    pii_share_off_scope=0.008,
    outcomes={"error": 0.01, "refused": 0.005, "escalated": 0.0},
    model="gpt-4o-mini",
    tokens=(2600, 650),
    usage_cost=400.0,
    subscription=40.0,
    weekend_weight=0.05,
    feedback_rate=0.05,
    feedback_floor=50,
    acceptance=0.78,
    negative_share=0.10,
    sources={"user": 0.85, "reviewer": 0.15},
    runbook={
        "may_pause": ["vp.sales@example.org", "governance"],
        "fallback": "Reps write e-mails from the approved templates in the CRM",
        "safe_state": "The drafting button in the CRM is disabled",
        "return_criteria": ["Re-tested on the banned-claims list", "Weekly cost back under budget"],
        "notify": ["Sales managers (EMEA, NA, APAC)", "Model provider (OpenAI account)"],
    },
)

CLAIMS = Deployment(
    id="claims-summarizer",
    name="Claims file summarizer",
    owner="Claims Operations Manager",
    risk_tier="medium",
    launched_days_before=38,
    approved={
        "claim_summary": "Summarise a claim file, its notes and its correspondence for the claims handler",
        "document_extraction": "Extract fields and amounts from invoices, receipts, reports and quotes attached to a claim",
        "coverage_check": "Check whether a policy wording covers a loss and which excess applies",
    },
    mix={
        "claim_summary": 0.55,
        "document_extraction": 0.30,
        "coverage_check": 0.14,
        "settlement_recommendation": 0.01,
    },
    approved_teams=("claims-motor", "claims-property", "claims-liability"),
    team_users={"claims-motor": 20, "claims-property": 15, "fraud-investigations": 5},
    unapproved_team_share=0.01,
    max_data_class="confidential",
    data_class_mix={"internal": 0.20, "confidential": 0.80},
    violation_share=0.002,
    weekly_budget=1000.0,
    review_day="wednesday",
    base_events=1800,
    floor_events=300,
    unlabeled_share=0.05,
    text_share=0.92,
    pii_share=0.05,
    pii_share_off_scope=0.05,
    outcomes={"error": 0.012, "refused": 0.003, "escalated": 0.03},
    model="gpt-4.1",
    tokens=(5200, 420),
    usage_cost=450.0,
    subscription=100.0,
    weekend_weight=0.04,
    feedback_rate=0.04,
    feedback_floor=50,
    acceptance=0.84,
    negative_share=0.09,
    sources={"user": 0.6, "reviewer": 0.4},
    bulk_rows_per_week=2,
    runbook={
        "may_pause": [
            "claims.operations.manager@example.org",
            "chief.risk.officer@example.org",
            "governance",
        ],
        "fallback": "Handlers read the claim file themselves; extraction by the document team",
        "safe_state": "Summaries are no longer generated; the nightly batch is switched off",
        "return_criteria": [
            "INC-0431 reported to the regulator and closed",
            "Summaries checked by a handler before they leave the claims system for four weeks",
        ],
        "notify": [
            "Insurance regulator (serious incident follow-up)",
            "Model provider (OpenAI account)",
            "Broker partners",
            "Claims handlers",
        ],
    },
    new_team=("claims-liability", 6, 0.15, 3),
)

DEPLOYMENTS: tuple[Deployment, ...] = (HR, SUPPORT, SALES, CLAIMS)


# support-triage's out-of-scope share by weeks before the last one (0 = the last week): warn from
# 3 weeks back (limit), critical in the last two (pause). Earlier weeks use the mix's own share.
SUPPORT_DRIFT = {5: 0.007, 4: 0.010, 3: 0.042, 2: 0.046, 1: 0.115, 0: 0.14}
STORY_WEEKS = (3, 2, 1, 0)


def out_of_scope_share(dep: Deployment, week: int, n_weeks: int) -> tuple[float, bool]:
    """Share of a week's requests outside the approved use, and whether the week is a story week
    (exact share). support-triage drifts in its last weeks; the others keep their mix's share."""
    base = sum(v for k, v in dep.mix.items() if k not in dep.approved)
    back = n_weeks - 1 - week
    if dep is not SUPPORT:
        return base, False
    return SUPPORT_DRIFT.get(back, base), back in STORY_WEEKS


def model_switch_week(dep: Deployment, n_weeks: int) -> int | None:
    """The week (index) whose Monday morning the sales drafter moves to the dearer model."""
    return n_weeks - 2 if dep is SALES else None


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def owner_email(owner: str) -> str:
    """The sign-in identity of an owner role in the sample organization: "HR Director" signs in as
    hr.director@example.org (the registry's `owners`, DESIGN §17)."""
    return ".".join(owner.lower().split()) + "@example.org"


def registry_toml(first_monday: date) -> str:
    """The deployment registry (DESIGN §3) for the sample organization."""
    out = [
        "# Deployment registry of the postlaunch sample organization (written by `postlaunch sample`).",
        "# Every command reads it; it is the source of truth for what each deployment is approved to do.",
        'timezone = "UTC"',
        'currency = "USD"',
        "",
    ]
    for dep in DEPLOYMENTS:
        key = f"deployments.{dep.id}"
        launched = first_monday - timedelta(days=dep.launched_days_before)
        out += [
            f"[{key}]",
            f"name = {_toml_str(dep.name)}",
            f"owner = {_toml_str(dep.owner)}",
            f"owners = [{_toml_str(owner_email(dep.owner))}]",
            f"risk_tier = {_toml_str(dep.risk_tier)}",
            f"launched = {launched.isoformat()}",
            'status = "active"',
            f"approved_use_cases = [{', '.join(_toml_str(u) for u in dep.approved)}]",
            f"approved_teams = [{', '.join(_toml_str(t) for t in dep.approved_teams)}]",
            f"max_data_class = {_toml_str(dep.max_data_class)}",
            f"weekly_budget = {dep.weekly_budget:.1f}",
            f"review_day = {_toml_str(dep.review_day)}",
            "",
            f"[{key}.use_case_descriptions]",
            *(f"{uc} = {_toml_str(desc)}" for uc, desc in dep.approved.items()),
            "",
            f"[{key}.use_case_examples]",
        ]
        for uc in dep.approved:
            items = ",\n".join(f"    {_toml_str(e)}" for e in texts.examples(dep.id, uc))
            out.append(f"{uc} = [\n{items},\n]")
        out.append("")
        for metric, (warn, crit) in dep.thresholds.items():
            out += [f"[{key}.thresholds.{metric}]", f"warn = {warn}", f"critical = {crit}", ""]
        if dep.runbook:
            out.append(f"[{key}.runbook]")
            for name, value in dep.runbook.items():
                shown = (
                    f"[{', '.join(_toml_str(v) for v in value)}]"
                    if isinstance(value, list)
                    else _toml_str(value)
                )
                out.append(f"{name} = {shown}")
            out.append("")
    return "\n".join(out)
