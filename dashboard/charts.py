"""Plotly figures for the pages and the review pack: a metric's weekly trend with its warn/critical
bands, 95% interval bars for proportions, and a marker at every change record (its summary on
hover). Figures only: no data access, no Streamlit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from postlaunch import fmt
from postlaunch.catalog import BY_NAME
from report import layout

WARN_FILL = "rgba(239, 143, 0, 0.13)"
CRIT_FILL = "rgba(198, 40, 40, 0.12)"
LINE = "#1f4e79"
CHANGE_COLOR = "#6a3d9a"
_FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 12}


def week_mid(week: str) -> datetime:
    """The middle of an ISO week (Thursday noon): where the week's point sits on a time axis, so a
    change made on a Tuesday falls inside the week whose numbers it affected."""
    monday, _ = fmt.week_dates(week)
    return datetime(monday.year, monday.month, monday.day) + timedelta(days=3, hours=12)


def _is_share(metric: str) -> bool:
    spec = BY_NAME.get(metric)
    return spec is not None and spec.kind == "proportion"


def _bands(
    fig: go.Figure, metric: str, warn: float | None, critical: float | None, scale: float, top: float
) -> None:
    spec = BY_NAME.get(metric)
    below = spec is not None and spec.direction == "below"
    if warn is None and critical is None:
        return
    if not below:
        if warn is not None:
            fig.add_hrect(
                y0=warn * scale,
                y1=(critical if critical is not None else top) * scale,
                fillcolor=WARN_FILL,
                line_width=0,
                layer="below",
            )
        if critical is not None:
            fig.add_hrect(
                y0=critical * scale,
                y1=max(top, critical) * scale * 1.05 + 1e-9,
                fillcolor=CRIT_FILL,
                line_width=0,
                layer="below",
            )
    else:
        if warn is not None:
            fig.add_hrect(
                y0=(critical if critical is not None else 0) * scale,
                y1=warn * scale,
                fillcolor=WARN_FILL,
                line_width=0,
                layer="below",
            )
        if critical is not None:
            fig.add_hrect(y0=0, y1=critical * scale, fillcolor=CRIT_FILL, line_width=0, layer="below")
    for level, color, val in (("warn", "#ef8f00", warn), ("critical", "#c62828", critical)):
        if val is not None:
            fig.add_hline(
                y=val * scale,
                line={"color": color, "width": 1, "dash": "dot"},
                annotation_text=f"{level} {fmt.value(metric, val)}",
                annotation_position="top left",
                annotation_font={"size": 10, "color": color},
            )


def change_markers(fig: go.Figure, changes: pd.DataFrame | list[dict[str, Any]] | None, y_top: float) -> None:
    """A dotted vertical line at every change record, with a hoverable marker on top naming it."""
    if changes is None:
        return
    rows = changes.to_dict("records") if isinstance(changes, pd.DataFrame) else list(changes)
    if not rows:
        return
    xs, texts = [], []
    for row in rows:
        ts = pd.Timestamp(row["ts"]).to_pydatetime()
        fig.add_vline(x=ts, line={"color": CHANGE_COLOR, "width": 1, "dash": "dot"})
        who = []
        if row.get("changed_by"):
            who.append(f"by {row['changed_by']}")
        if row.get("approved_by"):
            who.append(f"approved by {row['approved_by']}")
        texts.append(
            f"<b>{row.get('kind', 'change')} change</b> {ts:%Y-%m-%d %H:%M}<br>{_wrap(str(row.get('summary', '')))}"
            + (f"<br>{' · '.join(who)}" if who else "")
        )
        xs.append(ts)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=[y_top] * len(xs),
            mode="markers",
            name="change record",
            marker={"symbol": "triangle-down", "size": 11, "color": CHANGE_COLOR},
            hovertext=texts,
            hoverinfo="text",
            showlegend=False,
        )
    )


def _wrap(text: str, width: int = 60) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "<br>".join(lines)


def trend_figure(
    frame: pd.DataFrame,
    metric: str,
    changes: pd.DataFrame | list[dict[str, Any]] | None = None,
    currency: str = "USD",
    height: int = 300,
    title: str | None = None,
    subtitle: str = "",
) -> go.Figure:
    """One metric over weeks (rows of `metrics.api.trend` for it): line and points coloured by status,
    95% interval bars for proportions, warn/critical bands, change markers."""
    rows = frame[frame["metric"] == metric].sort_values("week") if len(frame) else frame
    scale = layout.y_scale(metric)
    fig = go.Figure()
    if len(rows) == 0:
        fig.add_annotation(
            text="no data in this range", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
        )
        return _layout(fig, title or metric, height, "")
    x = [week_mid(w) for w in rows["week"]]
    values = pd.to_numeric(rows["value"], errors="coerce")
    y = values * scale
    statuses = rows["status"].fillna("no_threshold").tolist()
    n = rows["n"].tolist() if "n" in rows else [None] * len(rows)
    error_y = None
    if _is_share(metric) and {"ci_low", "ci_high"} <= set(rows.columns):
        low = pd.to_numeric(rows["ci_low"], errors="coerce")
        high = pd.to_numeric(rows["ci_high"], errors="coerce")
        error_y = {
            "type": "data",
            "symmetric": False,
            "array": ((high - values) * scale).fillna(0).tolist(),
            "arrayminus": ((values - low) * scale).fillna(0).tolist(),
            "color": "#7f9cb8",
            "thickness": 1.2,
            "width": 4,
        }
    hover = [
        f"<b>{w}</b><br>{metric} {fmt.value(metric, v, currency)}"
        + (f"<br>n={int(k):,}" if not fmt.missing(k) else "")
        + (f"<br>{fmt.interval([lo, hi], metric)}" if error_y is not None else "")
        + f"<br>status: {layout.STATUS_LABEL.get(s, s)}"
        for w, v, k, s, lo, hi in zip(
            rows["week"],
            values,
            n,
            statuses,
            rows.get("ci_low", [None] * len(rows)),
            rows.get("ci_high", [None] * len(rows)),
            strict=True,
        )
    ]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="lines+markers",
            name=metric,
            line={"color": LINE, "width": 2},
            marker={
                "size": 9,
                "color": [layout.STATUS_COLOR.get(s, "#8c8c8c") for s in statuses],
                "line": {"color": "white", "width": 1},
            },
            error_y=error_y,
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
        )
    )
    warn = _last_number(rows, "warn")
    critical = _last_number(rows, "critical")
    highs = pd.to_numeric(rows["ci_high"], errors="coerce") if error_y is not None else values
    data_top = pd.concat([values, highs]).max(skipna=True)
    top = layout.axis_top(None if pd.isna(data_top) else float(data_top), warn, critical)
    _bands(fig, metric, warn, critical, scale, top * 2)
    change_markers(fig, changes, top * scale * 1.04)
    fig.update_xaxes(tickvals=x, ticktext=[w.split("-")[1] for w in rows["week"]])
    # changes (week over week) go below zero: keep their negative values in view
    lowest = pd.to_numeric(pd.Series(values), errors="coerce").min(skipna=True)
    bottom = min(0.0, float(lowest)) if pd.notna(lowest) else 0.0
    fig.update_yaxes(range=[bottom * scale * 1.1, top * scale * 1.1])
    return _layout(fig, title or metric, height, layout.axis_title(metric, currency), subtitle)


def _last_number(rows: pd.DataFrame, column: str) -> float | None:
    if column not in rows:
        return None
    values = pd.to_numeric(rows[column], errors="coerce").dropna()
    return float(values.iloc[-1]) if len(values) else None


def _layout(fig: go.Figure, title: str, height: int, y_title: str, subtitle: str = "") -> go.Figure:
    fig.update_layout(
        title={
            "text": title,
            "font": {"size": 14},
            "x": 0,
            "xanchor": "left",
            "subtitle": {"text": subtitle[:90] + ("…" if len(subtitle) > 90 else ""), "font": {"size": 11}},
        },
        height=height,
        margin={"l": 10, "r": 10, "t": 56 if subtitle else 40, "b": 10},
        font=_FONT,
        plot_bgcolor="white",
        paper_bgcolor="white",
        hovermode="closest",
    )
    fig.update_yaxes(title_text=y_title, gridcolor="#eeeeee", zeroline=False, rangemode="tozero")
    fig.update_xaxes(gridcolor="#f4f4f4")
    return fig
