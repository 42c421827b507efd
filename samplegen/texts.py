"""Slot pools (personal-data pools included) and the functions that fill request templates.

Words only: which sentence a request uses is decided by the caller's seeded generator. Texts
without an injected snippet never hold an e-mail address, a phone-like digit run, a card or an IBAN.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from samplegen.templates import PII_SNIPPETS, TEMPLATES

Pool = list[str] | Callable[[random.Random], str]

FIRST = [
    "Jane",
    "Omar",
    "Priya",
    "Lukas",
    "Mei",
    "Carlos",
    "Aisha",
    "Tom",
    "Sofia",
    "Kwame",
    "Elena",
    "Hiroshi",
    "Grace",
    "Mateo",
    "Fatima",
    "Oliver",
    "Ingrid",
    "Ravi",
    "Chloe",
    "Daniel",
    "Noor",
    "Pavel",
]
LAST = [
    "Doe",
    "Haddad",
    "Sharma",
    "Becker",
    "Chen",
    "Ruiz",
    "Bello",
    "Hughes",
    "Rossi",
    "Mensah",
    "Petrova",
    "Sato",
    "Okafor",
    "Silva",
    "Khan",
    "Walsh",
    "Larsen",
    "Iyer",
    "Martin",
    "Novak",
    "Ahmed",
    "Brooks",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _amount(lo: int, hi: int) -> Callable[[random.Random], str]:
    return lambda r: f"${r.randint(lo, hi):,}.{r.choice(['00', '50', '99', '00'])}"


POOLS: dict[str, Pool] = {
    "first": FIRST,
    "last": LAST,
    "weekday": WEEKDAYS,
    "month": MONTHS,
    "n_days": ["two", "three", "five", "ten"],
    "country": ["Portugal", "India", "Canada", "Poland", "Kenya", "Mexico", "Japan", "Ireland"],
    "office": ["London", "Manchester", "Dublin", "Berlin", "New York", "Singapore"],
    # HR
    "hr_topic": [
        "working remotely from abroad",
        "jury duty leave",
        "bereavement leave",
        "home-office equipment expenses",
        "overtime for part-time staff",
        "sabbaticals",
        "flexible working requests",
        "religious holidays",
        "second jobs",
        "relocation support",
        "time off for volunteering",
        "travel expenses for training",
    ],
    "hr_policy": [
        "remote working",
        "expenses",
        "travel",
        "flexible working",
        "code of conduct",
        "on-call allowance",
        "relocation",
        "learning budget",
        "whistleblowing",
        "sickness absence",
    ],
    "hr_allowed": [
        "work from another country for three weeks",
        "carry over unused training budget",
        "buy extra holiday",
        "claim a standing desk",
        "swap a bank holiday for another day",
        "take a career break",
    ],
    "part_time": ["three", "four", "three and a half"],
    "salary": ["$48,000", "$61,500", "$75,000", "$92,000", "$120,000"],
    "benefit": ["wellbeing", "home-office", "commuter", "learning", "childcare voucher", "gym"],
    "role": [
        "data analyst",
        "account executive",
        "software engineer",
        "payroll specialist",
        "product designer",
        "support agent",
        "legal counsel",
    ],
    "dept": ["finance", "engineering", "customer support", "sales", "legal", "marketing", "operations"],
    # support
    "ticket": lambda r: f"#{r.randint(10000, 99999)}",
    "order": lambda r: f"ORD-{r.randint(10000, 99999)}",
    "plan": ["Starter", "Team", "Business", "Enterprise"],
    "issue": [
        "The mobile app crashes when I upload photos on Android",
        "I was charged twice for my {plan} subscription this month",
        "SSO login keeps looping back to the sign-in page",
        "The exported CSV is missing the last two weeks of data",
        "Our invoice shows the wrong VAT number",
        "I cannot add a new user to our workspace, the invite button is greyed out",
        "The API has returned rate-limit errors since this morning",
        "The password reset email never arrives",
        "Dashboard charts are blank after yesterday's update",
        "We need to change the billing address on our account",
        "Webhooks stopped reaching our endpoint overnight",
        "Reports take minutes to load in the afternoon",
        "A former employee still has admin access to our account",
        "The calendar sync duplicates every meeting",
    ],
    "howto": [
        "how to reset two-factor authentication",
        "how to export all invoices as PDF",
        "setting up SAML single sign-on with Okta",
        "changing the account owner",
        "rotating API keys",
        "downgrading from the Business plan",
        "restoring a deleted workspace",
        "configuring webhook retries",
        "adding a second billing contact",
        "importing users from a spreadsheet",
    ],
    "problem": [
        "the double charge on their last invoice",
        "the outage on {weekday} morning",
        "the delayed data export",
        "the broken password reset emails",
        "the wrong VAT on their invoice",
        "the sync errors in their workspace",
        "the slow dashboards this week",
    ],
    "problem_short": [
        "keeps logging them out",
        "stopped syncing",
        "shows the wrong invoice total",
        "lost their saved reports",
    ],
    "remedy": [
        "a 10% discount on the next invoice",
        "one month free",
        "a credit of {amount_small}",
        "priority support for the next quarter",
    ],
    "workaround": [
        "clear the app cache",
        "log in through the web portal",
        "re-run the export from settings",
        "reconnect the integration",
    ],
    "refund_reason": [
        "the service was down for two days",
        "they cancelled within the trial period",
        "they were charged twice",
        "the feature they paid for never worked",
        "they upgraded by mistake",
    ],
    "amount_small": _amount(15, 480),
    "amount": _amount(120, 9800),
    "product": ["mobile app", "billing portal", "data export", "workspace", "calendar sync", "API key"],
    # sales
    "company": [
        "Brightwater Logistics",
        "Helix Foods",
        "Orbit Dental Group",
        "Northfield Council",
        "Kestrel Bank",
        "Lumen Retail",
        "Quarry & Stone",
        "Tidewater Health",
        "Arcadia Motors",
        "Pinecrest Schools",
    ],
    "title": [
        "Head of Operations",
        "CFO",
        "IT Director",
        "VP Sales",
        "Procurement Manager",
        "Chief Data Officer",
    ],
    "industry": ["logistics", "retail", "healthcare", "public sector", "banking", "manufacturing"],
    "headcount": ["200", "850", "2,000", "12,000"],
    "sproduct": [
        "Analytics Cloud",
        "Data Connectors add-on",
        "Enterprise SSO bundle",
        "Premium Support plan",
        "Forecasting module",
    ],
    "sales_topic": [
        "data residency",
        "SSO and audit logs",
        "pricing for 500 seats",
        "the Salesforce integration",
        "onboarding timelines",
        "our uptime commitments",
    ],
    "discount": ["8%", "10%", "12%", "15%"],
    "notes": [
        "budget approved for Q1, need SSO and audit logs, legal review takes three weeks",
        "pilot with 20 users, success metric is report build time, decision by end of {month}",
        "worried about data residency in the EU, want a reference customer in {industry}",
        "current tool is too slow, renewal due in {month}, procurement needs two quotes",
        "CFO joined, asked for a three-year price, security review starts {weekday}",
    ],
    # claims
    "claim": lambda r: f"CLM-{r.randint(10000, 99999)}",
    "policy": lambda r: f"POL-{r.choice(['MH', 'MT', 'HH'])}{r.randint(10000, 99999)}",
    "vehicle": ["a 2019 Ford Focus", "a Toyota Yaris", "a delivery van", "a VW Golf", "a Tesla Model 3"],
    "place": [
        "a roundabout in {city}",
        "a supermarket car park",
        "traffic lights on the ring road",
        "a motorway slip road",
    ],
    "city": ["Leeds", "Bristol", "Glasgow", "Cardiff", "Norwich", "Leicester"],
    "injury": ["whiplash", "no injuries", "a sprained wrist", "back pain"],
    "loss_event": [
        "escape of water from a burst pipe",
        "storm damage to the roof",
        "a kitchen fire",
        "theft of a bicycle from the garden shed",
        "accidental damage to a laptop",
        "subsidence cracks",
    ],
    "adjuster_note": [
        "site visit done, damp readings high in two rooms, drying company booked",
        "third party admits liability, awaiting their insurer's confirmation",
        "photos show pre-existing damage, ask the insured for the purchase receipt",
        "garage estimate looks high, request a second quote",
    ],
    "cover_level": ["third party only", "comprehensive", "third party, fire and theft"],
}

# Which slots only carry personal data: a snippet from here is the one way such data enters a text.
PII_POOLS: dict[str, Pool] = {
    "email": lambda r: (
        f"{r.choice(FIRST).lower()}.{r.choice(LAST).lower()}@{r.choice(['example.com', 'example.org', 'example.net'])}"
    ),
    "phone": lambda r: r.choice(
        [
            f"+44 20 7946 0{r.randint(100, 999)}",
            f"+1 202 555 01{r.randint(10, 99)}",
            f"020 7946 0{r.randint(100, 999)}",
        ]
    ),
    "card": lambda r: _luhn_card(r),
    "iban": lambda r: _gb_iban(r),
    # UK National Insurance format with a valid prefix (the specimen prefix QQ is not one), random digits
    "ni": lambda r: (
        f"{r.choice(['AB', 'CE', 'JG', 'KP', 'NZ', 'SR', 'TW', 'WL'])} {r.randint(10, 99)} "
        f"{r.randint(10, 99)} {r.randint(10, 99)} {r.choice('ABCD')}"
    ),
}

_SLOT = re.compile(r"\{(\w+)\}")


def fill(template: str, rng: random.Random, pools: dict[str, Pool] = POOLS) -> str:
    """Replace each `{slot}` (nested slots too) with a value drawn from its pool."""

    def one(m: re.Match[str]) -> str:
        pool = pools[m.group(1)]
        return pool(rng) if callable(pool) else rng.choice(pool)

    for _ in range(3):
        if "{" not in template:
            break
        template = _SLOT.sub(one, template)
    return template


def request_text(deployment: str, use_case: str, rng: random.Random, with_pii: bool) -> str:
    """One realistic request; with `with_pii`, a sentence holding personal data is appended."""
    text = fill(rng.choice(TEMPLATES[deployment][use_case]), rng)
    if with_pii:
        text += fill(rng.choice(PII_SNIPPETS[deployment]), rng, PII_POOLS)
    return text


def examples(deployment: str, use_case: str, count: int = 6) -> list[str]:
    """Example requests for the registry: fixed (seed-independent) fills of the use case's templates."""
    rng = random.Random(f"examples/{deployment}/{use_case}")
    templates = TEMPLATES[deployment][use_case]
    return [fill(templates[i % len(templates)], rng) for i in range(count)]


def _luhn_card(rng: random.Random) -> str:
    digits = [4] + [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        total += (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 == 0 else d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i : i + 4] for i in range(0, 16, 4))


def _gb_iban(rng: random.Random) -> str:
    bban = "NWBK" + "".join(str(rng.randint(0, 9)) for _ in range(14))
    numeric = "".join(str(int(c, 36)) for c in bban + "GB00")
    check = 98 - int(numeric) % 97
    iban = f"GB{check:02d}{bban}"
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
