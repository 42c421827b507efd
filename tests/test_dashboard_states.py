"""The dashboard's states and guard rails (AppTest): no database, an empty one, a bad registry, an
unknown deployment or week in the URL, an error inside a page, a database busy with a writer."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from dashboard_db import APP, SampleDb, fresh_streamlit_caches, point_at, sample_db  # noqa: F401
from streamlit.testing.v1 import AppTest

from postlaunch import db as pdb

REGISTRY = """
[deployments.support-triage]
name = "Support ticket triage"
owner = "Head of Support Operations"
risk_tier = "high"
launched = 2026-06-01
approved_use_cases = ["ticket_classification"]
"""


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


def _text(at: AppTest) -> str:
    parts = [e.value for kind in ("info", "warning", "error", "success") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", ["views/portfolio.py", "views/weekly_review.py", "views/scope.py"])
def test_missing_database_says_how_to_load_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    config = tmp_path / "postlaunch.toml"
    config.write_text(REGISTRY)
    point_at(monkeypatch, tmp_path / "none.duckdb", config)
    at = _app().run()
    at.switch_page(page).run()
    assert not at.exception
    text = _text(at)
    assert "There is no database at" in text and "make demo" in text and "postlaunch ingest" in text
    assert not (tmp_path / "none.duckdb").exists(), "a read-only page must not create the database"


def test_empty_database_says_how_to_load_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "postlaunch.toml"
    config.write_text(REGISTRY)
    db = tmp_path / "empty.duckdb"
    with pdb.connect(db):
        pass  # migrated, no rows
    point_at(monkeypatch, db, config)
    at = _app().run()
    assert not at.exception
    assert "holds no usage, cost, feedback or incident records" in _text(at)
    at.switch_page("views/data.py").run()  # the Data page still works: it is where data comes in
    assert not at.exception and at.title[0].value == "Data"
    assert len(at.expander) == 1  # the registry, one deployment


def test_broken_registry_is_named_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "postlaunch.toml"
    config.write_text(REGISTRY.replace('risk_tier = "high"', 'risk_tier = "extreme"'))
    point_at(monkeypatch, tmp_path / "x.duckdb", config)
    at = _app().run()
    assert not at.exception
    text = _text(at)
    assert "configuration has a problem" in text and "risk_tier" in text and "extreme" in text


def test_unknown_deployment_in_the_url_says_so_and_falls_back(
    sample_db: SampleDb,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    point_at(monkeypatch, sample_db.db, sample_db.config)
    at = _app()
    at.query_params["deployment"] = "no-such-bot"
    at.run()
    at.switch_page("views/weekly_review.py").run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "no-such-bot" in warnings and "not available" in warnings
    assert at.sidebar.selectbox(key="deployment").value == "claims-summarizer"  # first id, sorted
    assert at.title[0].value.startswith("Claims file summarizer")


def test_unknown_week_in_the_url_falls_back_to_the_latest(
    sample_db: SampleDb,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from metrics import api
    from postlaunch.config import load_context

    point_at(monkeypatch, sample_db.db, sample_db.config)
    ctx = load_context(sample_db.config, sample_db.db)
    with pdb.connect(sample_db.db, read_only=True) as conn:
        latest = api.latest_week(conn, ctx)
    at = _app()
    at.query_params["week"] = "1999-W01"
    at.run()
    assert "1999-W01" in " ".join(w.value for w in at.warning)
    assert at.sidebar.selectbox(key="week").value == latest


def test_a_link_opens_the_same_view(sample_db: SampleDb, monkeypatch: pytest.MonkeyPatch) -> None:
    point_at(monkeypatch, sample_db.db, sample_db.config)
    at = _app().run()
    weeks = at.sidebar.selectbox(key="week").options
    older = weeks[3]
    linked = _app()
    linked.query_params["deployment"] = "support-triage"
    linked.query_params["week"] = older
    linked.run()
    linked.switch_page("views/weekly_review.py").run()
    assert not linked.exception and not [w for w in linked.warning if "Recommendation:" not in w.value]
    assert linked.sidebar.selectbox(key="week").value == older
    assert linked.title[0].value.startswith(f"Support ticket triage · {older}")


def test_an_error_inside_a_page_is_a_message_not_a_traceback(
    sample_db: SampleDb,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from metrics import api

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    point_at(monkeypatch, sample_db.db, sample_db.config)
    monkeypatch.setattr(api, "build_review", broken)
    at = _app()
    at.query_params["deployment"] = "support-triage"
    at.run()
    at.switch_page("views/weekly_review.py").run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "could not be drawn (RuntimeError)" in message and "secret internals" not in message


def test_a_busy_database_waits_for_the_writer(
    sample_db: SampleDb,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A writer in another process holds the lock for a moment; the page waits and then draws."""
    import shutil
    import subprocess
    import sys

    db = tmp_path / "busy.duckdb"
    shutil.copyfile(sample_db.db, db)
    point_at(monkeypatch, db, sample_db.config)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
            "time.sleep(2.0); c.close()",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        at = _app().run()
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert not at.exception and not at.error
    assert waited >= 1.0, "the page could not have read while the writer held the lock"
    assert at.title[0].value == "Portfolio"


def test_threads_never_share_a_connection(sample_db: SampleDb, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sessions rendering at once (two threads) each open their own connection."""
    point_at(monkeypatch, sample_db.db, sample_db.config)
    results: list[bool] = []

    def render() -> None:
        at = AppTest.from_file(APP, default_timeout=120).run()
        results.append(not at.exception and not at.error)

    threads = [threading.Thread(target=render) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True, True]
