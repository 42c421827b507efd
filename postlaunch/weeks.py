"""ISO weeks in the configured time zone: parsing, formatting, UTC bounds (DST-correct) and the
parameters that let DuckDB assign a naive-UTC timestamp to its local ISO week with integer arithmetic.

A week is `YYYY-Www`, Monday 00:00 to the next Monday 00:00 local time. No database access here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from postlaunch.errors import PostlaunchError

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_EPOCH = date(1970, 1, 1)
WEEK_SECONDS = 604_800
# 1970-01-01 was a Thursday: shifting by three days makes week index k start on a Monday.
MONDAY_SHIFT_SECONDS = 259_200


def parse_week(week: str) -> date:
    """The Monday of ISO week `YYYY-Www`; a clear PostlaunchError for anything else."""
    match = _WEEK_RE.match(week.strip()) if isinstance(week, str) else None
    if not match:
        raise PostlaunchError(f"week {week!r} is not an ISO week: expected YYYY-Www, e.g. 2026-W47")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError:
        last = date(year, 12, 28).isocalendar().week
        raise PostlaunchError(f"week {week!r} does not exist: {year} has ISO weeks W01-W{last:02d}") from None


def format_week(monday: date) -> str:
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"


def index_of_instant(instant_utc: datetime, tz: str) -> int:
    """The local week index of a stored (naive UTC) instant in zone `tz`."""
    day = instant_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()
    return index_of_monday(day - timedelta(days=day.weekday()))


def shift_week(week: str, n: int) -> str:
    return format_week(parse_week(week) + timedelta(weeks=n))


def week_index(week: str) -> int:
    """Integer index of a week (the one the SQL computes): 1 is the week of Monday 1970-01-05."""
    return index_of_monday(parse_week(week))


def index_of_monday(monday: date) -> int:
    return ((monday - _EPOCH).days + 3) // 7


def week_of_index(index: int) -> str:
    return format_week(monday_of_index(index))


def monday_of_index(index: int) -> date:
    return _EPOCH + timedelta(days=index * 7 - 3)


def _local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def week_bounds(week: str, tz: str = "UTC") -> tuple[datetime, datetime]:
    """(start, end) of the week as naive UTC datetimes: Monday 00:00 local and the next Monday 00:00."""
    monday = parse_week(week)
    zone = ZoneInfo(tz)
    return _local_midnight_utc(monday, zone), _local_midnight_utc(monday + timedelta(days=7), zone)


def period(week: str) -> dict[str, str]:
    """The local calendar days of the week: {start: Monday, end: Sunday} as ISO dates."""
    monday = parse_week(week)
    return {"start": monday.isoformat(), "end": (monday + timedelta(days=6)).isoformat()}


def week_range(first: str, last: str) -> list[str]:
    """Every week from `first` to `last`, both included (empty when last < first)."""
    return [week_of_index(i) for i in range(week_index(first), week_index(last) + 1)]


def _offset_seconds(instant_utc: datetime, zone: ZoneInfo) -> int:
    offset = instant_utc.replace(tzinfo=UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@lru_cache(maxsize=64)
def _tz_params(
    tz: str, first_index: int, last_index: int
) -> tuple[int, int, tuple[int, ...], tuple[int, ...]]:
    zone = ZoneInfo(tz)
    start = _local_midnight_utc(monday_of_index(first_index), zone)
    end = _local_midnight_utc(monday_of_index(last_index + 1), zone)
    step = timedelta(hours=1 if (end - start) < timedelta(days=3660) else 6)
    offsets = set()
    instant = start
    while instant <= end:
        offsets.add(_offset_seconds(instant, zone))
        instant += step
    boundaries = {
        k: _local_midnight_utc(monday_of_index(k), zone) for k in range(first_index, last_index + 2)
    }
    boundary_offsets = {k: _offset_seconds(b, zone) for k, b in boundaries.items()}
    off_min = min(offsets | set(boundary_offsets.values()))
    deltas = {k: off - off_min for k, off in boundary_offsets.items() if off > off_min}
    ordered = sorted(deltas)
    return off_min, max(deltas.values(), default=0), tuple(ordered), tuple(deltas[k] for k in ordered)


def tz_params(tz: str, lo_utc: datetime | None, hi_utc: datetime | None) -> dict[str, Any]:
    """SQL parameters for `week_expr` covering instants lo_utc..hi_utc (naive UTC).

    The SQL shifts each timestamp by the zone's smallest UTC offset in the span (`off_min`), takes the
    integer week of that, and moves it one week on when the instant lies past the next week's true
    boundary, i.e. within `delta` seconds of it, where delta = offset at that boundary - off_min
    (`bound_wk`/`bound_delta` list the boundaries with delta > 0). Only rows in the last hour(s) of a
    week under summer time take the list lookup, so this costs about as much as a plain date_trunc.
    """
    if tz == "UTC" or lo_utc is None or hi_utc is None:
        return {"off_min": 0, "max_delta": 0, "bound_wk": [0], "bound_delta": [0]}
    lo = index_of_monday(lo_utc.date()) - 1
    hi = index_of_monday(hi_utc.date()) + 1
    off_min, max_delta, bound_wk, bound_delta = _tz_params(tz, lo, hi)
    # DuckDB needs a typed list; a dummy entry (week 0) keeps it non-empty.
    return {
        "off_min": off_min,
        "max_delta": max_delta,
        "bound_wk": list(bound_wk) or [0],
        "bound_delta": list(bound_delta) or [0],
    }
