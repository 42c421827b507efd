"""The review pack's trend charts as inline SVG: a metric's weekly values (points coloured by status,
95% interval bars for shares), its warn/critical bands, and a dashed line at every change record with
the summary as a tooltip. Static, small, and readable offline or in an e-mail; no JavaScript.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from postlaunch.catalog import BY_NAME
from postlaunch.fmt import missing, value, week_dates
from report.layout import STATUS_COLOR, STATUS_LABEL, axis_title, axis_top, y_scale

WIDTH, HEIGHT = 720, 230
LEFT, RIGHT, TOP, BOTTOM = 56, 14, 30, 28
WARN_FILL, CRIT_FILL = "rgba(239,143,0,0.13)", "rgba(198,40,40,0.12)"
LINE, CHANGE = "#1f4e79", "#6a3d9a"


@dataclass(frozen=True)
class Point:
    week: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int | None
    status: str


@dataclass(frozen=True)
class Marker:
    ts: datetime
    kind: str
    summary: str


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def trend_svg(
    metric: str,
    points: Sequence[Point],
    warn: float | None,
    critical: float | None,
    changes: Sequence[Marker] = (),
    currency: str = "USD",
) -> str:
    """One chart as an `<svg>` element (weeks oldest first)."""
    scale = y_scale(metric)
    values = [p.value for p in points if p.value is not None and not missing(p.value)]
    highs = [p.ci_high for p in points if p.ci_high is not None and not missing(p.ci_high)]
    top = axis_top(max(values + highs, default=None), warn, critical) * 1.1
    bottom = min(0.0, min(values, default=0.0)) * 1.1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(points), 1)

    def x(i: float) -> float:
        return LEFT + step * (i + 0.5)

    def y(v: float) -> float:
        v = min(max(v, bottom), top)
        return TOP + plot_h * (1 - (v - bottom) / ((top - bottom) or 1.0))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="{_e(metric)} by week" class="trend">',
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="600">{_e(metric)}</text>',
        f'<text x="{LEFT - 8}" y="{TOP - 6}" font-size="10" fill="#666" text-anchor="end">'
        f"{_e(axis_title(metric, currency))}</text>",
    ]
    below = BY_NAME[metric].direction == "below" if metric in BY_NAME else False
    bands = []
    if warn is not None:
        far = critical if critical is not None else (bottom if below else top)
        bands.append((warn, far, WARN_FILL))
    if critical is not None:
        bands.append((critical, bottom if below else top, CRIT_FILL))
    for a, b, fill in bands:
        y0, y1 = sorted((y(a), y(b)))
        parts.append(f'<rect x="{LEFT}" y="{y0:.1f}" width="{plot_w}" height="{y1 - y0:.1f}" fill="{fill}"/>')
    for level, color, level_value in (("warn", "#ef8f00", warn), ("critical", "#c62828", critical)):
        if level_value is not None and bottom <= level_value <= top:
            yy = y(level_value)
            parts.append(
                f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{color}" '
                f'stroke-dasharray="3 3"/><text x="{LEFT + 4}" y="{yy - 3:.1f}" font-size="10" fill="{color}">'
                f"{level} {_e(value(metric, level_value, currency))}</text>"
            )
    for frac, v in ((0.0, bottom), (1.0, top)):
        parts.append(
            f'<text x="{LEFT - 6}" y="{TOP + plot_h * (1 - frac) + 3:.1f}" font-size="10" fill="#666" '
            f'text-anchor="end">{v * scale:,.4g}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(0.0):.1f}" y2="{y(0.0):.1f}" stroke="#ccc"/>'
    )
    index = {p.week: i for i, p in enumerate(points)}
    for change in changes:
        week = _week_of(change.ts, points)
        if week not in index:
            continue
        monday, _ = week_dates(week)
        offset = (change.ts - datetime(monday.year, monday.month, monday.day)).total_seconds() / 604800
        xx = LEFT + step * (index[week] + offset)
        parts.append(
            f"<g><title>{_e(change.kind)} change {change.ts:%Y-%m-%d %H:%M}: {_e(change.summary)}</title>"
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{TOP}" y2="{TOP + plot_h}" stroke="{CHANGE}" '
            f'stroke-dasharray="2 3"/><path d="M{xx - 5:.1f},{TOP - 8} L{xx + 5:.1f},{TOP - 8} L{xx:.1f},{TOP}Z" '
            f'fill="{CHANGE}"/></g>'
        )
    line = [f"{x(i):.1f},{y(p.value):.1f}" for i, p in enumerate(points) if p.value is not None]
    if len(line) > 1:
        parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for i, p in enumerate(points):
        label = p.week.split("-")[1]
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - 10}" font-size="10" fill="#666" text-anchor="middle">{label}</text>'
        )
        if p.value is None or missing(p.value):
            continue
        if p.ci_low is not None and p.ci_high is not None and y_scale(metric) == 100.0:
            parts.append(
                f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(p.ci_low):.1f}" y2="{y(p.ci_high):.1f}" '
                'stroke="#7f9cb8" stroke-width="1.2"/>'
            )
        tip = f"{p.week}: {value(metric, p.value, currency)}" + (f", n={p.n:,}" if p.n is not None else "")
        tip += f", {STATUS_LABEL.get(p.status, p.status)}"
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="4.5" fill="{STATUS_COLOR.get(p.status, "#8c8c8c")}" '
            f'stroke="white"><title>{_e(tip)}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _week_of(ts: datetime, points: Sequence[Point]) -> str:
    """The week among `points` whose Monday-to-Monday span holds `ts` (dates as the pack shows them)."""
    for p in points:
        monday, sunday = week_dates(p.week)
        if monday <= ts.date() <= sunday:
            return p.week
    return ""
