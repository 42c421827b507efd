"""ISO weeks in a time zone: parsing, bounds across DST, and the SQL week assignment agreeing with
Python's for every timestamp, Monday 00:00 local included."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_metrics_data import insert, make_ctx, open_db, usage

from metrics.api import available_weeks
from metrics.queries import load_raw
from postlaunch import weeks as wk
from postlaunch.errors import PostlaunchError


def python_week_of(ts: datetime, tz: str) -> str:
    """The oracle: the ISO week of the stored (naive UTC) instant `ts` in zone `tz`, by zoneinfo."""
    day = ts.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()
    return wk.format_week(day - timedelta(days=day.weekday()))


@pytest.mark.parametrize(
    ("text", "monday"),
    [("2026-W47", date(2026, 11, 16)), ("2026-W01", date(2025, 12, 29)), ("2020-W53", date(2020, 12, 28))],
)
def test_parse_week(text: str, monday: date) -> None:
    assert wk.parse_week(text) == monday
    assert wk.format_week(monday) == text


@pytest.mark.parametrize("bad", ["2026-47", "2026-W7", "W47", "2026-W00", "2025-W53", "", "2026-w47x"])
def test_parse_week_refuses(bad: str) -> None:
    with pytest.raises(PostlaunchError, match="week"):
        wk.parse_week(bad)


def test_shift_and_range() -> None:
    assert wk.shift_week("2026-W01", -1) == "2025-W52"
    assert wk.shift_week("2020-W52", 1) == "2020-W53"
    assert wk.week_range("2025-W52", "2026-W02") == ["2025-W52", "2026-W01", "2026-W02"]
    assert wk.week_of_index(wk.week_index("2026-W47")) == "2026-W47"
    assert wk.period("2026-W47") == {"start": "2026-11-16", "end": "2026-11-22"}


@pytest.mark.parametrize(
    ("week", "tz", "start", "end"),
    [
        ("2026-W02", "UTC", datetime(2026, 1, 5), datetime(2026, 1, 12)),
        ("2026-W02", "Europe/Berlin", datetime(2026, 1, 4, 23), datetime(2026, 1, 11, 23)),
        # DST starts Sunday 29 March 2026 in Berlin: the week is one hour short
        ("2026-W13", "Europe/Berlin", datetime(2026, 3, 22, 23), datetime(2026, 3, 29, 22)),
        (
            "2026-W43",
            "Europe/Berlin",
            datetime(2026, 10, 18, 22),
            datetime(2026, 10, 25, 23),
        ),  # one hour long
        ("2026-W23", "America/New_York", datetime(2026, 6, 1, 4), datetime(2026, 6, 8, 4)),
        ("2026-W11", "America/New_York", datetime(2026, 3, 9, 4), datetime(2026, 3, 16, 4)),
        ("2026-W10", "America/New_York", datetime(2026, 3, 2, 5), datetime(2026, 3, 9, 4)),
    ],
)
def test_week_bounds(week: str, tz: str, start: datetime, end: datetime) -> None:
    assert wk.week_bounds(week, tz) == (start, end)


@pytest.mark.parametrize(
    ("ts", "tz", "week"),
    [
        (datetime(2026, 1, 11, 22, 59, 59), "Europe/Berlin", "2026-W02"),
        (datetime(2026, 1, 11, 23, 0, 0), "Europe/Berlin", "2026-W03"),
        (datetime(2026, 3, 29, 21, 59, 59), "Europe/Berlin", "2026-W13"),
        (datetime(2026, 3, 29, 22, 0, 0), "Europe/Berlin", "2026-W14"),
        (datetime(2026, 6, 1, 3, 59, 59), "America/New_York", "2026-W22"),
        (datetime(2026, 6, 1, 4, 0, 0), "America/New_York", "2026-W23"),
        (datetime(2026, 6, 1, 0, 0, 0), "UTC", "2026-W23"),
        (datetime(2026, 5, 31, 23, 59, 59), "UTC", "2026-W22"),
    ],
)
def test_monday_midnight_boundary_in_sql(tmp_path: Path, ts: datetime, tz: str, week: str) -> None:
    """The SQL puts an event in the same week as Python, to the second, with winter data in the span."""
    assert python_week_of(ts, tz) == week
    ctx = make_ctx(tmp_path, timezone=tz)
    conn = open_db(ctx)
    insert(conn, "usage_events", [usage(ts)])
    assert available_weeks(conn, ctx) == [week]
    insert(conn, "usage_events", [usage(datetime(2026, 1, 20, 12))])  # a winter row widens the span
    assert week in available_weeks(conn, ctx)
    conn.close()


@pytest.mark.parametrize(
    "tz", ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
)
def test_sql_week_matches_python_for_random_timestamps(tmp_path: Path, tz: str) -> None:
    """300 seeded timestamps over two years, half of them within two hours of a Monday 00:00 local."""
    rng = random.Random(42)
    stamps: list[datetime] = []
    start = datetime(2025, 1, 1)
    for i in range(300):
        if i % 2:
            stamps.append(start + timedelta(seconds=rng.randrange(2 * 365 * 86400)))
        else:
            monday = wk.week_bounds(wk.shift_week("2025-W01", rng.randrange(104)), tz)[0]
            stamps.append(monday + timedelta(seconds=rng.randrange(-7200, 7200)))
    deployments: dict[str, dict[str, object]] = {f"d{i}": {} for i in range(len(stamps))}
    ctx = make_ctx(tmp_path, deployments, timezone=tz)
    conn = open_db(ctx)
    insert(conn, "usage_events", [usage(ts, deployment=f"d{i}") for i, ts in enumerate(stamps)])
    raw = load_raw(conn, ctx.settings, [ctx.registry.deployments[d] for d in ctx.registry.ids])
    conn.close()
    for i, ts in enumerate(stamps):
        (index,) = raw[f"d{i}"].usage.keys()
        assert wk.week_of_index(index) == python_week_of(ts, tz), (ts, tz)
