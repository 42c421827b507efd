"""Cached reads for the pages: each opens a short-lived read-only connection, calls `metrics`, and
caches the small result keyed by (database file version, config version, arguments), so a new
ingest or decision is seen on the next run. It computes nothing itself and never writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from actions.pause import HaltRunbook, halt_runbook
from dashboard import audit, state
from metrics import api, evidence, pages
from metrics.model import PortfolioRow, Review
from postlaunch import accesslog, followups, opstatus, proposals
from postlaunch.config import Context
from postlaunch.decisions import DecisionRecord, standing_decision
from postlaunch.proposals import Proposal
from report.pack import build_pack as pack_html

_cached = st.cache_data(show_spinner=False, max_entries=512, ttl=6 * 3600)


def _run(key: state.DbKey, fn: Any, *args: Any, **kwargs: Any) -> Any:
    ctx = state.context()
    with state.connection(ctx) as conn:
        return fn(conn, ctx, *args, **kwargs)


def _key() -> state.DbKey:
    return state.db_key()


def ctx() -> Context:
    return state.context()


# --- metrics.api -----------------------------------------------------------------------------------


@_cached
def _weeks(key: state.DbKey, deployment: str | None) -> list[str]:
    weeks = _run(key, api.available_weeks, deployment)
    return sorted(weeks, reverse=True)


def weeks(deployment: str | None = None) -> list[str]:
    """ISO weeks with usage data, newest first."""
    return list(_weeks(_key(), deployment))


@_cached
def _review(key: state.DbKey, deployment: str, week: str | None) -> Review:
    return _run(key, api.build_review, deployment, week)  # type: ignore[no-any-return]


def review(deployment: str, week: str | None) -> Review:
    """The weekly review (DESIGN §9) of one deployment."""
    return _review(_key(), deployment, week)


@_cached
def _portfolio(key: state.DbKey, week: str | None, today: date) -> list[PortfolioRow]:
    return _run(key, lambda conn, ctx: api.portfolio(conn, ctx, week=week, today=today))  # type: ignore[no-any-return]


def portfolio(week: str | None) -> list[PortfolioRow]:
    """One row per deployment, worst first (reviews overdue as of today)."""
    today = datetime.now(ZoneInfo(ctx().settings.timezone)).date()
    return _portfolio(_key(), week, today)


@_cached
def _trend(
    key: state.DbKey, deployment: str, metrics: tuple[str, ...], start: str | None, end: str | None
) -> pd.DataFrame:
    return _run(  # type: ignore[no-any-return]
        key,
        lambda conn, ctx: api.trend(conn, ctx, deployment, list(metrics), start_week=start, end_week=end),
    )


def trend(deployment: str, metrics: list[str], start: str | None, end: str | None) -> pd.DataFrame:
    """week, metric, value, ci_low, ci_high, n, status, warn, critical."""
    return _trend(_key(), deployment, tuple(metrics), start, end)


# --- metrics.evidence ------------------------------------------------------------------------------


@_cached
def _changes(key: state.DbKey, deployment: str | None, first: str | None, last: str | None) -> pd.DataFrame:
    def read(conn: Any, ctx: Context) -> pd.DataFrame:
        start, end = (None, None)
        if first and last:
            start, end = pages.week_bounds_utc(first, last, ctx.settings.timezone)
        return evidence.change_records(conn, deployment, start, end)

    return _run(key, read)  # type: ignore[no-any-return]


def changes(deployment: str | None, first: str | None = None, last: str | None = None) -> pd.DataFrame:
    """Change records of `deployment` in weeks first..last (all when not given), oldest first."""
    return _changes(_key(), deployment, first, last)


@_cached
def _decisions(key: state.DbKey, deployment: str | None) -> tuple[pd.DataFrame, evidence.ChainStatus]:
    def read(conn: Any, ctx: Context) -> tuple[pd.DataFrame, evidence.ChainStatus]:
        return evidence.decision_log(conn, deployment), evidence.verify_chain(conn)

    return _run(key, read)  # type: ignore[no-any-return]


def decisions(deployment: str | None = None) -> tuple[pd.DataFrame, evidence.ChainStatus]:
    """The decision log (newest first) and the whole chain's verification."""
    return _decisions(_key(), deployment)


@_cached
def _standing(key: state.DbKey, deployment: str, week: str) -> DecisionRecord | None:
    return _run(key, lambda conn, ctx: standing_decision(conn, deployment, week))  # type: ignore[no-any-return]


def standing(deployment: str, week: str) -> DecisionRecord | None:
    """The decision that stands for the deployment-week (its latest record), or None."""
    return _standing(_key(), deployment, week)


@_cached
def _ingest_runs(key: state.DbKey) -> pd.DataFrame:
    return _run(key, lambda conn, ctx: evidence.ingest_runs(conn))  # type: ignore[no-any-return]


def ingest_runs() -> pd.DataFrame:
    return _ingest_runs(_key())


@_cached
def _quarantine(key: state.DbKey) -> tuple[pd.DataFrame, pd.DataFrame]:
    def read(conn: Any, ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
        return evidence.quarantine_reasons(conn), evidence.quarantined_rows(conn)

    return _run(key, read)  # type: ignore[no-any-return]


def quarantine() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows per reason, the quarantined rows themselves)."""
    return _quarantine(_key())


@_cached
def _events_elsewhere(key: state.DbKey) -> str | None:
    return _run(key, lambda conn, ctx: api.events_elsewhere(conn))  # type: ignore[no-any-return]


def events_elsewhere() -> str | None:
    """Which engine rolled up events that live elsewhere (spark), or None (see metrics.api)."""
    return _events_elsewhere(_key())


# --- metrics.pages (drill-downs) -------------------------------------------------------------------


@_cached
def _drill(key: state.DbKey, what: str, deployment: str, first: str, last: str) -> pd.DataFrame:
    def read(conn: Any, ctx: Context) -> pd.DataFrame:
        start, end = pages.week_bounds_utc(first, last, ctx.settings.timezone)
        if what == "incidents":
            return pages.incidents(conn, deployment, start, end)
        if what == "negative_comments":
            return pages.negative_comments(conn, deployment, start, end)
        if what == "comment_counts":
            return pages.comment_counts(conn, deployment, start, end)
        if what == "out_of_scope":
            approved = list(ctx.registry.get(deployment).approved_use_cases)
            return pages.out_of_scope_requests(conn, deployment, approved, start, end)
        raise ValueError(f"unknown drill-down {what!r}")

    return _run(key, read)  # type: ignore[no-any-return]


def drill(what: str, deployment: str, first: str, last: str) -> pd.DataFrame:
    """A drill-down table: incidents, negative_comments, comment_counts or out_of_scope."""
    return _drill(_key(), what, deployment, first, last)


# --- the operating status (DESIGN §14) -------------------------------------------------------------------


@dataclass(frozen=True)
class Operating:
    """A deployment's operating mode, when its app first read the latest pause or stop and last read
    anything, and for a pause or stop its runbook and who was told."""

    status: opstatus.OperatingStatus
    first_read_at: datetime | None
    last_read_at: datetime | None
    halt: HaltRunbook | None
    ticks: tuple[followups.Followup, ...]

    def acknowledgement(self, ack_minutes: int) -> opstatus.Acknowledgement | None:
        """Whether the app has seen the pause or stop, as of now (the alert depends on the clock)."""
        if self.status.source != "decision" or self.status.mode not in opstatus.HALTED:
            return None
        return opstatus.Acknowledgement(
            self.status, self.first_read_at, datetime.now(UTC).replace(tzinfo=None), ack_minutes
        )


@_cached
def _operating(key: state.DbKey, deployment: str) -> Operating:
    def read(conn: Any, ctx: Context) -> Operating:
        status = opstatus.status_of(conn, ctx.registry, deployment)
        halted = status.source == "decision" and status.mode in opstatus.HALTED and status.decision_seq
        halt = (
            halt_runbook(conn, ctx, deployment, status.decision_seq)
            if halted and status.decision_seq
            else None
        )
        ticks = (
            tuple(followups.of_decision(conn, status.decision_seq)) if halt and status.decision_seq else ()
        )
        return Operating(
            status, opstatus.first_read(conn, status), opstatus.last_read(conn, deployment), halt, ticks
        )

    return _run(key, read)  # type: ignore[no-any-return]


def operating(deployment: str) -> Operating:
    return _operating(_key(), deployment)


@_cached
def _records(key: state.DbKey, what: str, deployment: str | None) -> pd.DataFrame:
    def read(conn: Any, ctx: Context) -> pd.DataFrame:
        if what == "readiness" and deployment is not None:
            return evidence.readiness_records(conn, deployment)
        if what == "followups":
            return evidence.decision_followups(conn, deployment)
        if what == "status_reads":
            return evidence.status_reads(conn, deployment)
        raise ValueError(f"unknown records {what!r}")

    return _run(key, read)  # type: ignore[no-any-return]


def records(what: str, deployment: str | None) -> pd.DataFrame:
    """readiness (a deployment's readiness records), followups (who was told of pauses) or status_reads."""
    return _records(_key(), what, deployment)


def clear() -> None:
    """Forget every cached read (after this session wrote to the database)."""
    st.cache_data.clear()


def build_pack(ctx: Context, deployment: str, week: str) -> str:
    """The review pack exactly as `postlaunch review --format html` builds it (own connection)."""
    with state.connection(ctx) as conn:
        return pack_html(conn, ctx, api.build_review(conn, ctx, deployment, week))


def pack_maker(deployment: str, week: str, on_made: Callable[[], None] | None = None) -> Callable[[], str]:
    """A zero-argument callable for st.download_button: it runs when clicked, on its own thread, so
    it opens its own connection and touches no Streamlit state; `on_made` runs once the pack is built
    (the export's access record)."""
    context = state.context()

    def make() -> str:
        pack = build_pack(context, deployment, week)
        if on_made is not None:
            on_made()
        return pack

    return make


# --- decisions waiting for a second signature ------------------------------------------------------


@_cached
def _open_proposals(key: state.DbKey, deployment: str | None) -> list[Proposal]:
    return _run(key, lambda conn, ctx: proposals.listed(conn, deployment))  # type: ignore[no-any-return]


def open_proposals(deployment: str | None = None) -> list[Proposal]:
    """Decisions proposed and not yet countersigned (or withdrawn), oldest first."""
    return list(_open_proposals(_key(), deployment))


# --- the access log (its own file; not cached: it grows by the second) ------------------------------


def access_records(
    start: datetime | None,
    end: datetime | None,
    person: str | None,
    action: str | None,
    deployments: list[str] | None,
) -> pd.DataFrame:
    """The access log, newest first, filtered (see `metrics.evidence.access_records`); empty before
    anything was logged."""
    settings = ctx().settings
    audit.flush(timeout=2.0)  # what this session just did shows too
    if not accesslog.path_of(settings).exists():
        return pd.DataFrame(columns=["ts", "identity", "email", "via", "action", "deployment", "detail"])
    with accesslog.connect(settings, timeout=state.PAGE_LOCK_TIMEOUT) as conn:
        return evidence.access_records(
            conn, start=start, end=end, person=person, action=action, deployments=deployments
        )
