"""The seed's readiness checklist (DESIGN §13), declared once: the seven items with the seed's words,
the statuses a record may claim, and how long evidence stays valid by risk tier. Pure declarations and
date arithmetic; the records are loaded by ingest (kind `readiness`) and judged in `metrics.readiness`.
"""

from __future__ import annotations

import calendar
from datetime import date

# id -> what the item asks, in the seed's words. The order is the checklist's.
ITEMS: dict[str, str] = {
    "use_case": "the task, users, limits, and value are defined",
    "owner": "a role or team owns operation, review, and changes",
    "testing": "normal cases, edge cases, bad inputs, and exceptions were reviewed",
    "training": "users know approved uses, review rules, and escalation paths",
    "access": "data and system access are limited to the approved use case",
    "monitoring": "monitoring areas and review responsibility are defined",
    "pause": "pause, fallback, escalation, and return-to-normal rules exist",
}
STATUSES: tuple[str, ...] = ("met", "not_met", "unknown")
# Months a record's evidence stays valid when it names no `expires`, by risk tier.
EXPIRY_MONTHS: dict[str, int] = {"low": 12, "medium": 6, "high": 3}
# A high-tier deployment's app must have read its operating status within this many days (item pause).
STATUS_READ_DAYS = 30


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, clamped to the month's last day (31 Aug + 6 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def expiry(evidence_date: date, expires: date | None, risk_tier: str) -> date:
    """The first day a record's evidence is no longer valid: its own `expires`, else the tier's default."""
    return expires if expires is not None else add_months(evidence_date, EXPIRY_MONTHS[risk_tier])
