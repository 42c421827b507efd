"""What every page shares: the settings and registry, the database's state (missing, empty, busy,
ready), the sidebar pickers bound to the URL, and the error boundary that keeps tracebacks off the
page. It holds no SQL and no metric logic; reads go through `dashboard.data`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import streamlit as st

from metrics import pages
from postlaunch import db as pdb
from postlaunch import fmt, settings
from postlaunch.config import Context, load_context
from postlaunch.errors import ConfigError, DatabaseBusyError, PostlaunchError

log = logging.getLogger("postlaunch.dashboard")

DEPLOYMENT_KEY = "deployment"
WEEK_KEY = "week"
# How long a page waits for an ingest's lock before it says so (the settings' timeout is for commands).
PAGE_LOCK_TIMEOUT = 20.0

LOAD_HELP = (
    "Load data first, for example:\n\n"
    "```\nmake demo                                   # sample data for four deployments, then this dashboard\n"
    "postlaunch ingest usage exports/usage.csv   # your own files, one kind at a time\n"
    "postlaunch ingest cost exports/cost.csv\n```\n\n"
    "or upload files on the **Data** page."
)


class DbKey(NamedTuple):
    """Everything a cached read depends on: the files and their versions. An ingest or a decision
    changes the database file's mtime/size, so every cached result keyed on the old one is bypassed."""

    db: str
    config: str
    env: tuple[tuple[str, str], ...]
    db_version: tuple[int, int, int, int]
    config_version: tuple[int, int]


def _file_version(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, -1)
    return (stat.st_mtime_ns, stat.st_size)


@st.cache_resource(show_spinner=False, max_entries=8)
def _load_context(env: tuple[tuple[str, str], ...], config_version: tuple[int, int]) -> Context:
    return load_context()


def context() -> Context:
    """Settings and registry as the environment names them (POSTLAUNCH_CONFIG, POSTLAUNCH_DB), loaded
    again when the environment or the config file changes."""
    return _load_context(settings.environment(), _file_version(settings.config_path()))


def db_key(ctx: Context | None = None) -> DbKey:
    ctx = ctx or context()
    path = Path(ctx.settings.db)
    wal = path.with_name(path.name + ".wal")
    return DbKey(
        db=str(path.resolve()),
        config=str(Path(ctx.settings.config).resolve()),
        env=settings.environment(),
        db_version=(*_file_version(path), *_file_version(wal)),
        config_version=_file_version(Path(ctx.settings.config)),
    )


def connection(ctx: Context, on_wait: Callable[[float], None] | None = None) -> Any:
    """A read-only connection for one unit of work (a context manager). Never cached, never shared."""
    return pdb.connect(ctx.settings.db, read_only=True, timeout=PAGE_LOCK_TIMEOUT, on_wait=on_wait)


class DatabaseState:
    MISSING = "missing"
    EMPTY = "empty"
    READY = "ready"


def database_state(ctx: Context) -> str:
    """Open the database once for this run (waiting, with a note, while an ingest holds the lock)."""
    path = Path(ctx.settings.db)
    if not path.exists():
        return DatabaseState.MISSING
    note = st.empty()

    def busy(waited: float) -> None:
        note.info("The database is busy with an ingest; the page will show as soon as it finishes.")

    try:
        with connection(ctx, on_wait=busy) as conn:
            ready = pages.has_data(conn)
    finally:
        note.empty()
    return DatabaseState.READY if ready else DatabaseState.EMPTY


def show_load_help(ctx: Context | None, state: str) -> None:
    where = f"`{ctx.settings.db}`" if ctx else "the database"
    if state == DatabaseState.MISSING:
        st.info(f"### No data yet\nThere is no database at {where}.\n\n{LOAD_HELP}")
    else:
        st.info(
            f"### No data yet\nThe database {where} holds no usage, cost, feedback or incident records.\n\n{LOAD_HELP}"
        )


def _default_index(options: list[str], wanted: str | None) -> str | None:
    return wanted if wanted in options else (options[0] if options else None)


def picker(
    key: str,
    label: str,
    options: list[str],
    default: str | None,
    noun: str,
    help: str | None = None,
) -> str | None:
    """A sidebar selectbox bound to the URL query parameter `key`. A value in the URL that is not an
    option is named in a warning and replaced by `default`.

    Options are shown as they are (no format_func): Streamlit matches a bound URL value against the
    *displayed* option, and ids and ISO weeks make clean links."""
    raw = st.query_params.get(key)
    note_key = f"_url_note_{key}"
    if raw is not None and raw != "" and raw not in options:
        st.session_state[note_key] = (raw, default)
    if st.session_state.get(key) not in options:
        st.session_state[key] = _default_index(options, default)
    note = st.session_state.get(note_key)
    if note and st.session_state.get(key) == note[1]:
        known = ", ".join(options[:8]) + (" …" if len(options) > 8 else "")
        st.warning(
            f"The link asks for {noun} **{note[0]}**, which is not available (known: {known}). "
            f"Showing **{note[1] or 'nothing'}** instead.",
            icon=":material/link_off:",
        )
    elif note:
        del st.session_state[note_key]  # the user chose another one: the note has done its work
    return st.sidebar.selectbox(label, options, index=None, key=key, bind="query-params", help=help)


def deployment_picker(ctx: Context) -> str | None:
    ids = ctx.registry.ids
    chosen = picker(
        DEPLOYMENT_KEY,
        "Deployment",
        ids,
        ids[0] if ids else None,
        "deployment",
        help="The deployment under review; the URL keeps it, so a link opens the same view.",
    )
    if chosen in ctx.registry.deployments:
        dep = ctx.registry.deployments[chosen]
        st.sidebar.caption(f"{dep.name} · risk {dep.risk_tier} · {dep.owner}")
    return chosen


def week_picker(weeks: list[str]) -> str | None:
    """Weeks newest first; the default is the latest week with usage data."""
    chosen = picker(
        WEEK_KEY,
        "Week",
        weeks,
        weeks[0] if weeks else None,
        "week",
        help="ISO week (Monday to Sunday). Defaults to the latest week with usage data.",
    )
    if chosen:
        latest = " · the latest with data" if weeks and chosen == weeks[0] else ""
        st.sidebar.caption(f"{fmt.week_label(chosen)}{latest}")
    return chosen


def selected_deployment() -> str | None:
    value = st.session_state.get(DEPLOYMENT_KEY)
    return str(value) if value else None


def selected_week() -> str | None:
    value = st.session_state.get(WEEK_KEY)
    return str(value) if value else None


def show_error(exc: BaseException) -> None:
    """A clear message on the page; details only in the server log."""
    if isinstance(exc, DatabaseBusyError):
        st.warning(str(exc), icon=":material/hourglass_top:")
        st.button("Try again", key="retry-busy")
    elif isinstance(exc, ConfigError):
        st.error(f"**The configuration has a problem.**\n\n```\n{exc}\n```")
    elif isinstance(exc, PostlaunchError):
        st.error(str(exc))
    else:
        log.exception("dashboard page failed")
        st.error(
            f"This part of the page could not be drawn ({type(exc).__name__}). "
            "The details are in the dashboard's console log; the other pages still work."
        )


@contextmanager
def boundary() -> Iterator[None]:
    """Run page code; any error becomes a message (Streamlit's own stop/rerun signals pass through,
    they are BaseException, not Exception)."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the error boundary: nothing raw reaches the page
        show_error(exc)


def page(render: Callable[[], None]) -> None:
    """Run a page's `render` inside the error boundary."""
    with boundary():
        render()
