"""The dashboard's access-log queue (dashboard/audit.py): a page that flushes before it reads the log sees
every event queued before, even one the background writer has taken and is still appending."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from dashboard import audit
from postlaunch import accesslog
from postlaunch.access import Identity
from postlaunch.settings import Settings

GOV = Identity("Gil Gov", "gil.gov@example.org", roles=frozenset({"governance"}))


def test_a_flush_waits_for_the_batch_another_thread_is_appending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(db=tmp_path / "org.duckdb")
    monkeypatch.setattr(audit, "_pending", [])
    monkeypatch.setattr(audit, "_thread", threading.current_thread())  # alive: no writer loop of its own
    entered, release = threading.Event(), threading.Event()
    append = accesslog.append

    def slow_append(conn, events):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "writer":  # the background writer, mid-batch
            entered.set()
            release.wait(10)
        return append(conn, events)

    monkeypatch.setattr(accesslog, "append", slow_append)
    audit.event(settings, GOV, "login", None, "signed in")
    audit.event(settings, GOV, "view", None, "evidence")
    writer = threading.Thread(target=audit.flush, name="writer")
    writer.start()
    assert entered.wait(10)  # the writer has taken both events and not yet written them

    seen: list[list[tuple[str, str]]] = []

    def page() -> None:  # what data.access_records does: flush, then read
        audit.flush(timeout=5.0)
        with accesslog.connect(settings) as conn:
            seen.append(conn.execute("SELECT action, detail FROM access_log ORDER BY ts").fetchall())

    reader = threading.Thread(target=page)
    reader.start()
    reader.join(0.5)
    assert reader.is_alive()  # the page waits for the batch in flight instead of reading without it
    release.set()
    writer.join(10)
    reader.join(10)
    assert seen == [[("login", "signed in"), ("view", "evidence")]]
