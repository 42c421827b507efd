"""ISO-week arithmetic for the sample generator: parse `YYYY-Www`, find the last complete week.

Pure date functions; no randomness, no I/O.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from postlaunch import weeks
from postlaunch.errors import PostlaunchError, UsageError


def parse_iso_week(text: str) -> date:
    """The Monday of ISO week `YYYY-Www` (postlaunch.weeks); a UsageError naming --end-week otherwise."""
    try:
        return weeks.parse_week(text)
    except PostlaunchError as exc:
        raise UsageError(f"--end-week: {exc}") from None


def iso_week_label(monday: date) -> str:
    """`2026-W47` for any day of that week."""
    return weeks.format_week(monday)


def last_complete_week(today: date | None = None) -> date:
    """Monday of the last ISO week that has fully ended before `today` (UTC)."""
    today = today or datetime.now(UTC).date()
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7)


def week_mondays(end_monday: date, weeks: int) -> list[date]:
    """The Mondays of `weeks` consecutive ISO weeks ending with the week of `end_monday`."""
    return [end_monday - timedelta(days=7 * (weeks - 1 - i)) for i in range(weeks)]
