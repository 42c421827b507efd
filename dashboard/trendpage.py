"""The frame every trend page shares (Quality, Scope, Cost, Risk & incidents, Feedback): the week
range, one chart per metric with its bands and change markers, and the weekly values as a table.
Pages add their own drill-down tables below. No SQL, no metric logic."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import charts, data, state, tables, widgets
from postlaunch import fmt
from postlaunch.catalog import BY_NAME


def header(title: str, blurb: str) -> tuple[str, str, str] | None:
    """Title, the chosen deployment and week range; None (with a note) when nothing is chosen."""
    deployment, week = state.selected_deployment(), state.selected_week()
    ctx = data.ctx()
    if not deployment or not week:
        st.info("Choose a deployment and a week in the sidebar.")
        return None
    name = ctx.registry.deployments[deployment].name if deployment in ctx.registry.deployments else deployment
    st.title(f"{title} · {name}")
    st.caption(blurb)
    weeks = data.weeks(deployment)
    if not weeks:
        st.warning(f"No usage data for {deployment} yet.")
        return None
    first, last = widgets.week_range(weeks, week)
    return deployment, first, last


def charts_grid(deployment: str, first: str, last: str, metrics: list[str], per_row: int = 2) -> pd.DataFrame:
    """One chart per metric, `per_row` across; returns the trend rows for drill-downs."""
    frame = data.trend(deployment, metrics, first, last)
    changes = data.changes(deployment, first, last)
    currency = data.ctx().settings.currency
    if len(changes):
        st.caption(
            f"▼ {len(changes)} change record(s) in this range are marked on every chart (hover for the summary). "
            "Shaded bands: warn (amber) and critical (red); bars: 95% intervals; point colour: status."
        )
    for start in range(0, len(metrics), per_row):
        cols = st.columns(per_row)
        for col, metric in zip(cols, metrics[start : start + per_row], strict=False):
            spec = BY_NAME.get(metric)
            fig = charts.trend_figure(
                frame,
                metric,
                changes,
                currency=currency,
                height=320,
                title=metric,
                subtitle=spec.definition if spec else "",
            )
            col.plotly_chart(fig, width="stretch", config={"displaylogo": False}, key=f"chart-{metric}")
    return frame


def values_table(frame: pd.DataFrame, metrics: list[str]) -> None:
    """The charted numbers as a week × metric table, formatted, statuses as dots."""
    if not len(frame):
        return
    currency = data.ctx().settings.currency
    shown = frame[frame["metric"].isin(metrics)].copy()
    shown["shown"] = [fmt.value(m, v, currency) for m, v in zip(shown["metric"], shown["value"], strict=True)]
    columns = [m for m in metrics if m in set(shown["metric"])]
    table = shown.pivot(index="week", columns="metric", values="shown")[columns].sort_index(ascending=False)
    status = shown.pivot(index="week", columns="metric", values="status")[columns].sort_index(ascending=False)
    with st.expander("Weekly values (cells tinted by status)", expanded=False):
        st.dataframe(tables.styled(table, soft_by={c: status[c] for c in columns}), width="stretch")


def trend_page(
    title: str, blurb: str, metrics: list[str], drill: Callable[[str, str, str], None] | None
) -> None:
    chosen = header(title, blurb)
    if chosen is None:
        return
    deployment, first, last = chosen
    frame = charts_grid(deployment, first, last, metrics)
    values_table(frame, metrics)
    if drill is not None:
        drill(deployment, first, last)
