"""A real browser clicks through the weekly review: Debian's /usr/bin/chromium driven by Playwright
against `postlaunch dashboard`'s Streamlit server on a free loopback port. Portfolio, then the
drifting deployment's Weekly review, record a decision, see it on Evidence; a screenshot of every
page goes to tests/screenshots/ (git-ignored) for a person to look at."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_env import chromium_page, dashboard_server, no_error_on, require_chromium, screenshot
from dashboard_db import SampleDb, sample_copy, sample_db  # noqa: F401

DRIFTING = "support-triage"
ROW_HEIGHT = 70  # dashboard/views/portfolio.py ROW_HEIGHT (a view module runs its page when imported)

pytestmark = pytest.mark.browser


@pytest.fixture()
def server(sample_copy: SampleDb, tmp_path: Path) -> Iterator[str]:
    require_chromium()
    with dashboard_server(sample_copy.db, sample_copy.config, tmp_path) as base:
        yield base


@pytest.fixture()
def page(tmp_path: Path) -> Iterator[object]:
    with chromium_page(tmp_path / "home") as p:
        yield p


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
    no_error_on(p)
    screenshot(p, "portfolio")
    # Selecting the drifting deployment's row offers its Weekly review (canvas-drawn grid: a 35 px header,
    # rows of ROW_HEIGHT px as dashboard/views/portfolio.py draws them).
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        order = [row.deployment for row in api.portfolio(conn, ctx, week)]
    grid = p.locator("[data-testid='stDataFrame']").first.bounding_box()  # type: ignore[attr-defined]
    row_top = grid["y"] + 35 + order.index(DRIFTING) * ROW_HEIGHT
    p.mouse.click(grid["x"] + 16, row_top + ROW_HEIGHT // 2)  # type: ignore[attr-defined]
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
    no_error_on(p)
    screenshot(p, "weekly_review")
    # Record a decision with the form.
    rationale = "Out-of-scope use keeps growing; limit to the approved teams until retrained."
    p.get_by_role("radio", name=review.action, exact=True).click()  # type: ignore[attr-defined]
    p.get_by_label("Rationale").fill(rationale)  # type: ignore[attr-defined]
    p.get_by_label("Attendees").fill("Governance lead, Vendor contact")  # type: ignore[attr-defined]
    p.get_by_role("button", name="Record decision").click()  # type: ignore[attr-defined]
    p.get_by_text("Recorded decision #1").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    screenshot(p, "weekly_review_decided")
    # Evidence shows it, with the chain verified.
    p.goto(f"{server}/evidence?deployment={DRIFTING}&week={week}")  # type: ignore[attr-defined]
    p.get_by_text("decision log verified: 1 record,").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    no_error_on(p)
    screenshot(p, "evidence")
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
        no_error_on(p)
        screenshot(p, path)


def test_check_a_sample_with_the_keyboard_in_a_real_browser(
    server: str, page: object, sample_copy: SampleDb
) -> None:
    from postlaunch import db as pdb
    from postlaunch.config import load_context

    ctx = load_context(sample_copy.config, sample_copy.db)
    approved = list(ctx.registry.get(DRIFTING).approved_use_cases)
    p = page
    p.goto(f"{server}/scope?deployment={DRIFTING}&week=2026-W47")  # type: ignore[attr-defined]
    p.get_by_role("button", name="Draw 40 requests to check").click(timeout=60_000)  # type: ignore[attr-defined]
    p.get_by_text("0 of 40 checked").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    p.get_by_text("Request 1 of 40").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    no_error_on(p)
    screenshot(p, "check_a_sample")
    for key, done in (("1", 1), ("0", 2), ("2", 3)):  # the first use case, out of scope, the second
        p.mouse.click(600, 5)  # type: ignore[attr-defined]  # focus the page, not a widget
        p.keyboard.press(key)  # type: ignore[attr-defined]
        p.get_by_text(f"{done} of 40 checked").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    screenshot(p, "check_a_sample_answered")
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        stored = conn.execute(
            "SELECT l.use_case FROM labels l JOIN scope_draw_events de USING (identity) ORDER BY de.position"
        ).fetchall()
    assert [r[0] for r in stored] == [approved[0], "out_of_scope", approved[1]]


def _no_horizontal_scroll(p: Any) -> dict[str, int]:
    """The portfolio grid's scroller and the page: content width against the visible width."""
    return p.evaluate(  # type: ignore[no-any-return]
        """() => {
            const grid = document.querySelector('[data-testid=stDataFrame] .dvn-scroller');
            const main = document.querySelector('[data-testid=stMain]');
            return {grid: grid.scrollWidth, gridVisible: grid.clientWidth,
                    page: main.scrollWidth, pageVisible: main.clientWidth};
        }"""
    )


@pytest.mark.parametrize("width", [1280, 1440])
def test_portfolio_fits_without_horizontal_scrolling(server: str, tmp_path: Path, width: int) -> None:
    with chromium_page(tmp_path / f"home-{width}", width=width, height=900) as p:
        p.goto(f"{server}/")
        p.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
        p.wait_for_timeout(800)  # the grid measures its columns after the first paint
        no_error_on(p)
        sizes = _no_horizontal_scroll(p)
        assert sizes["grid"] <= sizes["gridVisible"], sizes
        assert sizes["page"] <= sizes["pageVisible"], sizes
        screenshot(p, f"portfolio_{width}", width=width)


def test_double_click_on_record_decision_records_one_decision(
    server: str, page: Any, sample_copy: SampleDb
) -> None:
    from metrics.evidence import decision_log
    from postlaunch import db as pdb

    week = "2026-W47"  # the committed sample's last week
    p = page
    p.goto(f"{server}/review?deployment={DRIFTING}&week={week}")
    p.get_by_text("Recommendation:").first.wait_for(timeout=60_000)
    p.get_by_role("radio", name="limit", exact=True).click()
    p.get_by_label("Rationale").fill("Drift keeps growing; limit to the approved teams.")
    p.get_by_role("button", name="Record decision").dblclick()
    p.get_by_text("This week's decision: LIMIT").wait_for(timeout=60_000)
    p.wait_for_timeout(2500)  # let a second submission, if any, finish
    no_error_on(p)
    assert p.get_by_label("Rationale").input_value() == ""  # the form is empty again
    assert p.get_by_text("Recorded as decision #1").count() == 1
    screenshot(p, "weekly_review_double_click")
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        log = decision_log(conn)
    assert list(log["seq"]) == [1] and list(log["decision"]) == ["limit"]
