"""The Scope page's panel on placed requests: the out-of-scope threshold and where it came from (in plain
words), the weekly split of requests into labelled / inferred / unplaced, and clusters of the requests
outside the approved use, so the owner can approve a new use case or stop it. Reads through metrics.scope
(cached per database version); it never writes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import state
from metrics import scope as mscope
from postlaunch.config import Context
from postlaunch.registry import Deployment

Connect = Callable[[Context], AbstractContextManager[Any]]
_cached = st.cache_data(show_spinner=False, max_entries=256, ttl=6 * 3600)

TEXT_LIMIT = 5000  # texts clustered at most (an evenly spread sample beyond)
BORDERLINE_ROWS = 15
# (column of metrics.scope.placement_split, legend label, colour): labelled solid, inferred light.
SPLIT_SERIES = (
    ("labelled_in_scope", "labelled, approved", "#2e7d32"),
    ("inferred_in_scope", "inferred, approved", "#a5d6a7"),
    ("labelled_out_of_scope", "labelled, not approved", "#c62828"),
    ("inferred_out_of_scope", "inferred, out of scope", "#ef9a9a"),
    ("unplaced", "no use case (not placed)", "#bdbdbd"),
)


# --- cached reads (keyed on the database and config versions; connection and context not hashed) ---


@_cached
def _info(key: state.DbKey, deployment: str, _ctx: Context, _connect: Connect) -> dict[str, Any] | None:
    with _connect(_ctx) as conn:
        return mscope.scope_model_info(conn, deployment)


@_cached
def _split(
    key: state.DbKey, deployment: str, first: str, last: str, _ctx: Context, _connect: Connect
) -> pd.DataFrame:
    with _connect(_ctx) as conn:
        return mscope.placement_split(conn, _ctx, deployment, first, last)


@_cached
def _texts(
    key: state.DbKey, deployment: str, first: str, last: str, _ctx: Context, _connect: Connect
) -> list[str]:
    with _connect(_ctx) as conn:
        return mscope.out_of_scope_texts(conn, _ctx, deployment, first, last, limit=TEXT_LIMIT)


@_cached
def _borderline(
    key: state.DbKey, deployment: str, first: str, last: str, around: float, _ctx: Context, _connect: Connect
) -> pd.DataFrame:
    with _connect(_ctx) as conn:
        return mscope.inferred_examples(
            conn, _ctx, deployment, first, last, around=around, limit=BORDERLINE_ROWS
        )


@_cached
def clusters(texts: tuple[str, ...], max_clusters: int) -> list[dict[str, Any]]:
    """Clusters of `texts` (scopetext.cluster_texts), as plain dicts; cached on the texts themselves."""
    from scopetext import cluster_texts

    return [
        {"terms": list(c.label_terms), "count": int(c.count), "examples": list(c.examples[:3])}
        for c in cluster_texts(list(texts), max_clusters=max_clusters)
    ]


@_cached
def registry_fingerprint(deployment: str, config_version: tuple[int, int], _dep: Deployment) -> str | None:
    """The fingerprint the registry's current descriptions, examples and scope_threshold give (None when
    it gives nothing to place by): differs from the stored one until the next ingest re-places."""
    from ingest.scope.fit import fit_model, has_scope_text

    return fit_model(_dep).fingerprint() if has_scope_text(_dep) else None


# --- plain words ---------------------------------------------------------------------------------


def threshold_source(calibration: dict[str, Any]) -> str:
    """'registry', 'calibrated' or 'default'."""
    if str(calibration.get("threshold_source", "")).startswith("registry"):
        return "registry"
    return "calibrated" if "percentile" in calibration else "default"


def calibration_text(info: dict[str, Any]) -> str:
    """How the threshold was set, in plain words, from the stored calibration."""
    cal = info.get("calibration") or {}
    threshold = float(info["threshold"])
    n = int(cal.get("n_examples") or 0)
    rate = cal.get("expected_false_flag_rate")
    rate_text = f"about {float(rate):.0%}" if rate is not None else "an unknown share"
    source = threshold_source(cal)
    if source == "default":
        text = (
            f"The threshold is the default **{threshold:.3f}**: the registry gives {n} example request(s), fewer "
            "than the 5 needed to calibrate it. Treat this deployment's inferred figures as rough; add "
            "`use_case_examples` (five or more per use case) to calibrate."
        )
    else:
        calibrated = cal.get("calibrated_threshold")
        percentile = float(cal.get("percentile") or 5.0)
        text = (
            f"Each of the registry's {n} example requests was scored against all the other descriptions and "
            f"examples, as if it were a new request; the calibrated threshold, **{float(calibrated):.3f}**, is the "
            f"{percentile:g}th percentile of those scores."
            if calibrated is not None
            else ""
        )
        if source == "registry":
            text += (
                f" The registry's `scope_threshold` sets **{threshold:.3f}** instead; at that level {rate_text} of "
                "genuinely approved requests are expected to fall below it and be flagged."
            )
        else:
            text += f" So {rate_text} of genuinely approved requests are expected to fall below it and be flagged."
    medians = cal.get("per_use_case_median") or {}
    if medians:
        weakest = min(medians, key=lambda k: medians[k])
        text += f" The use case its examples resemble least is `{weakest}` (median score {float(medians[weakest]):.2f})."
    return text


def name_only_use_cases(dep: Deployment) -> list[str]:
    """Approved use cases with neither a description nor examples: described by their name only (weak)."""
    return [
        uc
        for uc in dep.approved_use_cases
        if not dep.use_case_descriptions.get(uc, "").strip() and not dep.use_case_examples.get(uc)
    ]


def split_figure(split: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for column, label, colour in SPLIT_SERIES:
        fig.add_trace(
            go.Bar(
                x=split["week"],
                y=split[column],
                name=label,
                marker_color=colour,
                hovertemplate=f"%{{x}}<br>{label}: %{{y:,}} requests<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        height=300,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.25},
        plot_bgcolor="white",
        paper_bgcolor="white",
        title={"text": "Requests per week by how their use case is known", "font": {"size": 14}, "x": 0},
    )
    fig.update_yaxes(title_text="requests", gridcolor="#eeeeee", rangemode="tozero")
    return fig


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "–"


# --- rendering -------------------------------------------------------------------------------------


def _model_section(ctx: Context, dep: Deployment, info: dict[str, Any] | None) -> float | None:
    st.subheader("How unlabeled requests are placed")
    if info is None:
        if registry_fingerprint(dep.id, state.db_key(ctx).config_version, dep) is None:
            st.info(
                "The registry gives this deployment no `use_case_descriptions` or `use_case_examples`, so requests "
                "without a use_case label are not placed. Add a sentence per approved use case (and a few real "
                "example requests) to postlaunch.toml; the next `postlaunch ingest` places the stored requests."
            )
        else:
            st.info(
                "No request has been placed yet: the next `postlaunch ingest` places the unlabeled requests."
            )
        return None
    cal = info.get("calibration") or {}
    source = threshold_source(cal)
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Out-of-scope threshold",
        f"{float(info['threshold']):.3f}",
        help="A request whose similarity to everything approved is below this is placed out of scope.",
    )
    c2.metric(
        "Set by",
        {"registry": "registry", "calibrated": "calibration", "default": "default"}[source],
        help="calibration: from the registry's examples; registry: scope_threshold; default: too few examples.",
    )
    rate = cal.get("expected_false_flag_rate")
    c3.metric(
        "Approved requests flagged",
        f"{float(rate):.1%}" if rate is not None else "–",
        help="Expected share of genuinely approved requests that fall below the threshold (from the examples).",
    )
    st.markdown(calibration_text(info))
    weak = name_only_use_cases(dep)
    if weak:
        st.warning(
            "Described by their name only (no description, no examples), so placed weakly: "
            + ", ".join(f"`{uc}`" for uc in weak),
            icon=":material/short_text:",
        )
    stored = cal.get("registry_fingerprint", info.get("fingerprint"))  # what the registry alone gave
    if registry_fingerprint(dep.id, state.db_key(ctx).config_version, dep) != stored:
        st.caption(
            "The registry's descriptions, examples or scope_threshold changed since these placements; the next "
            "`postlaunch ingest` re-places every unlabeled request."
        )
    elif int(info.get("pending_events") or 0) > 0:
        st.caption(
            f"{int(info['pending_events']):,} unlabeled requests with text are not placed yet (next ingest)."
        )
    placed_at = info.get("placed_at")
    st.caption(
        f"{int(info.get('placed_events') or 0):,} unlabeled requests placed by this model"
        + (f", last on {placed_at:%Y-%m-%d %H:%M} UTC" if placed_at is not None else "")
        + f" · model {str(info.get('fingerprint'))[:12]}"
    )
    return float(info["threshold"])


def _split_section(split: pd.DataFrame) -> None:
    if not len(split) or not int(split[[c for c, _l, _c in SPLIT_SERIES]].to_numpy().sum()):
        st.caption("No requests in this range.")
        return
    st.plotly_chart(split_figure(split), width="stretch", config={"displaylogo": False}, key="scope-split")
    last = split.iloc[-1]
    labelled = int(last["labelled_in_scope"] + last["labelled_out_of_scope"])
    inferred = int(last["inferred_in_scope"] + last["inferred_out_of_scope"])
    st.caption(
        f"{last['week']}: {_share(int(last['labelled_out_of_scope']), labelled)} of labelled requests were for an "
        f"unapproved use case; {_share(int(last['inferred_out_of_scope']), inferred)} of the unlabeled ones were "
        "placed out of scope by their text. Placements are evidence to read, not verdicts: about the expected "
        "share of approved requests is always flagged, and requests that resemble approved ones are missed."
    )
    if int(last["unplaced_with_text"]):
        st.caption(
            f"{int(last['unplaced_with_text']):,} requests with text in {last['week']} are not placed yet."
        )


def _clusters_section(texts: list[str], max_clusters: int) -> None:
    st.markdown("**Requests outside the approved use, grouped by their words**")
    if not texts:
        st.caption(
            "No request in this range was placed out of scope or labelled with an unapproved use case."
        )
        return
    with st.spinner("Grouping the requests…"):
        groups = clusters(tuple(texts), max_clusters)
    sample = " (an evenly spread sample)" if len(texts) >= TEXT_LIMIT else ""
    st.caption(
        f"{len(texts):,} requests{sample}; labelled ones show their label as `[label]`. A large, steady group is a "
        "use the owner can approve (add it to approved_use_cases with a description and examples) or stop."
    )
    for rank, group in enumerate(groups):
        terms = ", ".join(group["terms"]) or "(no common words)"
        title = f"{terms} — {group['count']:,} requests ({_share(group['count'], len(texts))})"
        with st.expander(title, expanded=rank < 3):  # the largest groups open: what people actually ask
            for example in group["examples"]:
                st.markdown(f"- {example}")
            if not group["examples"]:
                st.caption("No text left after redaction.")


def render_scope_panel(
    ctx: Context,
    deployment: str,
    start_week: str,
    end_week: str,
    *,
    max_clusters: int = 8,
    connect: Connect | None = None,
) -> None:
    """The panel for `deployment` over weeks start_week..end_week. `connect(ctx)` opens a read-only
    connection for one read (default: the dashboard's `state.connection`). Errors become a message."""
    opener: Connect = connect or state.connection
    with state.boundary():
        dep = ctx.registry.get(deployment)
        key = state.db_key(ctx)
        info = _info(key, deployment, ctx, opener)
        threshold = _model_section(ctx, dep, info)
        _split_section(_split(key, deployment, start_week, end_week, ctx, opener))
        _clusters_section(_texts(key, deployment, start_week, end_week, ctx, opener), max_clusters)
        if threshold is not None:
            with st.expander("Placements nearest the threshold (check the threshold against real requests)"):
                rows = _borderline(key, deployment, start_week, end_week, threshold, ctx, opener)
                if len(rows):
                    st.dataframe(rows, hide_index=True, width="stretch")
                else:
                    st.caption("No placed requests in this range.")
