"""A real browser clicks through the weekly review: Debian's /usr/bin/chromium driven by Playwright
against `postlaunch dashboard`'s Streamlit server on a free loopback port. Portfolio, then the
drifting deployment's Weekly review, record a decision, see it on Evidence; a screenshot of every
page goes to tests/screenshots/ (git-ignored) for a person to look at."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_db import ROOT, SampleDb, sample_copy, sample_db  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "tests" / "screenshots"
DRIFTING = "support-triage"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium (apt install chromium)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def server(sample_copy: SampleDb, tmp_path: Path) -> Iterator[str]:
    from cli.commands.dashboard import command, environment

    port = _free_port()
    env = {k: v for k, v in environment(str(sample_copy.db), str(sample_copy.config)).items()}
    env["HOME"] = str(tmp_path)
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(command(port, "127.0.0.1"), env=env, cwd=tmp_path, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "server.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture()
def page(tmp_path: Path) -> Iterator[object]:
    playwright = pytest.importorskip("playwright.sync_api")
    home = tmp_path / "home"
    home.mkdir()
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        with playwright.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield browser.new_page(viewport={"width": 1440, "height": 1000})
            finally:
                browser.close()
    finally:
        if old_home is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = old_home


def _shot(page: object, name: str) -> Path:
    """Screenshot the whole page: Streamlit scrolls inside its main block, so grow the viewport to it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(600)  # type: ignore[attr-defined]
    height = page.evaluate(  # type: ignore[attr-defined]
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stMainBlockContainer]')]"
        ".map(e => e.scrollHeight), 1000)"
    )
    page.set_viewport_size({"width": 1440, "height": min(int(height) + 60, 4000)})  # type: ignore[attr-defined]
    page.wait_for_timeout(900)  # type: ignore[attr-defined]
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1440, "height": 1000})  # type: ignore[attr-defined]
    return path


def _no_error_on(page: object) -> None:
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert "Traceback" not in body and "could not be drawn" not in body, body[:2000]


def test_review_flow_in_a_real_browser(server: str, page: object, sample_copy: SampleDb) -> None:
    from metrics import api
    from metrics.evidence import decision_log
    from postlaunch import db as pdb
    from postlaunch.config import load_context

    ctx = load_context(sample_copy.config, sample_copy.db)
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        week = api.latest_week(conn, ctx)
        review = api.build_review(conn, ctx, DRIFTING, week)
    p = page
    # Portfolio: every deployment, worst first.
    p.goto(f"{server}/")  # type: ignore[attr-defined]
    p.get_by_role("heading", name="Portfolio").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    p.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    _no_error_on(p)
    _shot(p, "portfolio")
    # Selecting the drifting deployment's row offers its Weekly review (grid rows are 35 px, canvas-drawn).
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        order = [row.deployment for row in api.portfolio(conn, ctx, week)]
    grid = p.locator("[data-testid='stDataFrame']").first.bounding_box()  # type: ignore[attr-defined]
    p.mouse.click(grid["x"] + 16, grid["y"] + 35 + order.index(DRIFTING) * 35 + 17)  # type: ignore[attr-defined]
    p.get_by_text("Open the Weekly review of Support ticket triage").click()  # type: ignore[attr-defined]
    p.get_by_text("Recommendation:").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert "/review?deployment=support-triage" in p.url  # type: ignore[attr-defined]
    link = p.get_by_role("link", name="Link to this view").get_attribute("href")  # type: ignore[attr-defined]
    assert link is not None and f"deployment={DRIFTING}" in link and f"week={week}" in link
    # The drifting deployment's Weekly review, through a shareable link.
    p.goto(f"{server}/review?deployment={DRIFTING}&week={week}")  # type: ignore[attr-defined]
    p.get_by_text("Recommendation:").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    action = (review.action or "continue").upper()
    assert p.get_by_text(f"Recommendation: {action}").count() >= 1  # type: ignore[attr-defined]
    assert "deployment=support-triage" in p.url and f"week={week}" in p.url  # type: ignore[attr-defined]
    _no_error_on(p)
    _shot(p, "weekly_review")
    # Record a decision with the form.
    rationale = "Out-of-scope use keeps growing; limit to the approved teams until retrained."
    p.get_by_label("Rationale").fill(rationale)  # type: ignore[attr-defined]
    p.get_by_label("Attendees").fill("Governance lead, Vendor contact")  # type: ignore[attr-defined]
    p.get_by_role("button", name="Record decision").click()  # type: ignore[attr-defined]
    p.get_by_text("Recorded decision #1").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    _shot(p, "weekly_review_decided")
    # Evidence shows it, with the chain verified.
    p.goto(f"{server}/evidence?deployment={DRIFTING}&week={week}")  # type: ignore[attr-defined]
    p.get_by_text("decision log verified: 1 records").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    _no_error_on(p)
    _shot(p, "evidence")
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        log = decision_log(conn)
    assert list(log["rationale"]) == [rationale]
    assert list(log["decision"]) == [review.action]
    assert log["attendees"][0] == ["Governance lead", "Vendor contact"]
    # Every other page draws without an error; keep a screenshot of each.
    for path, heading in (
        ("quality", "Quality"),
        ("scope", "Scope"),
        ("cost", "Cost"),
        ("risk", "Risk & incidents"),
        ("feedback", "Feedback"),
        ("data", "Data"),
    ):
        p.goto(f"{server}/{path}?deployment={DRIFTING}&week={week}")  # type: ignore[attr-defined]
        p.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
        if path not in ("data",):
            p.locator(".js-plotly-plot").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
        _no_error_on(p)
        _shot(p, path)
