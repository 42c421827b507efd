"""Colour for tables and badges: cell backgrounds by status, alert level or recommended action (pandas
Styler, which st.dataframe draws), so the colour needs no emoji font. Presentation only; no data access."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from report.layout import ACTION_COLOR

# Streamlit Markdown badges of the metric statuses (no emoji font needed).
STATUS_BADGE: dict[str, str] = {
    "critical": ":red-badge[critical]",
    "warn": ":orange-badge[warn]",
    "watch": ":yellow-badge[watch]",
    "insufficient_data": ":gray-badge[too few data]",
    "ok": ":green-badge[ok]",
    "no_threshold": "",
}

# Soft backgrounds that keep black text readable; strong ones for the single "status" cell.
SOFT = {
    "critical": "#fbd9d6",
    "warn": "#fde7c4",
    "watch": "#fdf3c4",
    "ok": "#dcefdc",
}
STRONG = {
    "critical": ("#c62828", "white"),
    "warn": ("#ef8f00", "white"),
    "watch": ("#f2c200", "black"),
    "ok": ("#2e7d32", "white"),
    "unknown": ("#9e9e9e", "white"),
    "insufficient_data": ("#9e9e9e", "white"),
}


def strong(key: Any) -> str:
    colours = STRONG.get(str(key).lower()) or (
        (ACTION_COLOR[str(key).lower()], "white") if str(key).lower() in ACTION_COLOR else None
    )
    if colours is None:
        return ""
    return f"background-color: {colours[0]}; color: {colours[1]}; font-weight: 600"


def soft(key: Any) -> str:
    colour = SOFT.get(str(key).lower())
    return f"background-color: {colour}" if colour else ""


def styled(
    frame: pd.DataFrame,
    strong_columns: tuple[str, ...] = (),
    soft_by: dict[str, pd.Series] | None = None,
) -> Styler:
    """`frame` with each `strong_columns` cell coloured by its own value (a status, level or action),
    and each `soft_by` column tinted by the status in the given series (same index)."""
    soft_by = soft_by or {}

    def css(data: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame("", index=data.index, columns=data.columns)
        for column in strong_columns:
            if column in data:
                out[column] = [strong(v) for v in data[column]]
        for column, statuses in soft_by.items():
            if column in data:
                out[column] = [soft(s) for s in statuses.reindex(data.index)]
        return out

    return frame.style.apply(css, axis=None)
