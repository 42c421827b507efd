"""ISO-week arithmetic for the sample generator: parse `YYYY-Www`, find the last complete week.

Pure date functions; no randomness, no I/O.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from postlaunch.errors import UsageError

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_iso_week(text: str) -> date:
    """The Monday of ISO week `YYYY-Www`; UsageError naming the value when it is not a real week."""
    m = _WEEK_RE.match(text.strip())
    if not m:
        raise UsageError(f'--end-week "{text}" is not an ISO week; expected YYYY-Www, e.g. 2026-W47')
    year, week = int(m.group(1)), int(m.group(2))
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        last = date(year, 12, 28).isocalendar().week
        raise UsageError(f'--end-week "{text}": {year} has ISO weeks W01-W{last:02d}') from None
    return monday


def iso_week_label(monday: date) -> str:
    """`2026-W47` for any day of that week."""
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def last_complete_week(today: date | None = None) -> date:
    """Monday of the last ISO week that has fully ended before `today` (UTC)."""
    today = today or datetime.now(UTC).date()
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7)


def week_mondays(end_monday: date, weeks: int) -> list[date]:
    """The Mondays of `weeks` consecutive ISO weeks ending with the week of `end_monday`."""
    return [end_monday - timedelta(days=7 * (weeks - 1 - i)) for i in range(weeks)]
