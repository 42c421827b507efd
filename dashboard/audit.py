"""The dashboard's side of the access log (DESIGN §17): sign-ins, page views and exports are queued
here and appended to the access log's own file by a background thread about once a second, so a page
never waits for the log (only the page that shows the log flushes first). Writes (decisions, uploads)
record their own events in the same call.

Events are never dropped: a batch the log refuses (its file busy) stays queued for the next round,
and the queue is flushed when the server stops.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from pathlib import Path

import streamlit as st

from postlaunch import accesslog
from postlaunch.access import Identity
from postlaunch.accesslog import AccessEvent
from postlaunch.errors import PostlaunchError
from postlaunch.settings import Settings

log = logging.getLogger("postlaunch.dashboard.audit")
_INTERVAL = 1.0
_lock = threading.Lock()  # guards _pending and _signed_in
_flushing = threading.Lock()  # one flush at a time: a page's flush waits for the writer's batch in flight
_pending: list[tuple[Settings, AccessEvent]] = []
_thread: threading.Thread | None = None
_signed_in: set[tuple[Path, str, object]] = set()  # (log, person, token issued at) already logged


def record(settings: Settings, event: AccessEvent) -> None:
    """Queue one event for the access log of `settings` (safe from any thread)."""
    global _thread
    with _lock:
        _pending.append((settings, event))
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="postlaunch-access-log", daemon=True)
            _thread.start()


def flush(timeout: float = 5.0) -> int:
    """Append every queued event now, after any batch another thread is appending; returns how many this
    call wrote. When it returns, every event queued before the call is in the log, unless the log file
    stayed busy for `timeout`: then they stay queued (they go on the next round)."""
    if not _flushing.acquire(timeout=timeout):
        return 0  # another flush waits for the busy log this long: its events and these go next round
    try:
        return _flush_queued(timeout)
    finally:
        _flushing.release()


def _flush_queued(timeout: float) -> int:
    with _lock:
        batch = list(_pending)
        _pending.clear()
    by_file: dict[Path, tuple[Settings, list[AccessEvent]]] = {}
    for settings, event in batch:
        by_file.setdefault(accesslog.path_of(settings), (settings, []))[1].append(event)
    written = 0
    for path, (settings, events) in by_file.items():
        try:
            with accesslog.connect(settings, timeout=timeout) as conn:
                written += accesslog.append(conn, events)
        except PostlaunchError as exc:
            log.warning("access log %s busy (%s); %d events wait for the next round", path, exc, len(events))
            with _lock:
                _pending[:0] = [(settings, e) for e in events]
    return written


def _loop() -> None:
    while True:
        time.sleep(_INTERVAL)
        try:
            flush()
        except Exception:  # noqa: BLE001 - the writer thread must outlive a bad round
            log.exception("access log flush failed")


atexit.register(flush)


# --- what pages call -----------------------------------------------------------------------------------


def event(
    settings: Settings,
    identity: Identity,
    action: str,
    deployment: str | None = None,
    detail: str | None = None,
) -> None:
    record(settings, accesslog.event(identity, action, deployment, detail))


def login_once(settings: Settings, identity: Identity, how: str) -> None:
    """One `login` event per sign-in: per ID token (its `iat`) of a person, not per browser tab or
    reload; the local user once per server."""
    key = "_pl_logged_in_as"
    if st.session_state.get(key) == identity.person:
        return
    st.session_state[key] = identity.person
    sign_in = (accesslog.path_of(settings), identity.person, identity.issued_at)
    with _lock:
        first = sign_in not in _signed_in
        _signed_in.add(sign_in)
    if first:
        event(settings, identity, "login", None, how)


def view_once(
    settings: Settings, identity: Identity, page: str, deployment: str | None, week: str | None
) -> None:
    """A `view` event when the session opens a page, deployment or week it was not already on (reruns
    of the same view, a widget touched, are not new views)."""
    key = "_pl_last_view"
    where = (identity.person, page, deployment, week)
    if st.session_state.get(key) != where:
        st.session_state[key] = where
        event(settings, identity, "view", deployment, f"{page} {week or ''}".strip())
