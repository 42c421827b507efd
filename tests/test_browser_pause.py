"""A real browser through the pause flow (DESIGN §14): record a pause on the Weekly review, tick who was
told, see "not yet observed by the app", let the app read its status with the real OFREP provider, see
the pause observed. Screenshots go to tests/screenshots/ (git-ignored); with UPDATE_DOCS_SCREENSHOTS=1 the
acknowledgement is also written to docs/screenshots/pause_acknowledged.png (the one the docs show)."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_env import (
    ROOT,
    SHOTS,
    chromium_page,
    dashboard_server,
    no_error_on,
    require_chromium,
    screenshot,
)
from dashboard_db import SampleDb, sample_copy, sample_db  # noqa: F401

from actions.statuskeys import create_key
from postlaunch.access import local_user
from postlaunch.config import load_context
from postlaunch.db import connect

DEPLOYMENT, WEEK = "support-triage", "2026-W47"
DOC_SHOT = ROOT / "docs" / "screenshots" / "pause_acknowledged.png"

pytestmark = pytest.mark.browser


@pytest.fixture()
def key(sample_copy: SampleDb) -> str:
    ctx = load_context(sample_copy.config, sample_copy.db)
    with connect(ctx.db) as conn:
        return create_key(conn, ctx, deployment=DEPLOYMENT, by="Ops", label="triage panel")[0]


@pytest.fixture()
def server(sample_copy: SampleDb, key: str, tmp_path: Path) -> Iterator[str]:
    require_chromium()
    with dashboard_server(sample_copy.db, sample_copy.config, tmp_path) as base:
        yield base


@pytest.fixture()
def page(tmp_path: Path) -> Iterator[object]:
    with chromium_page(tmp_path / "home") as p:
        yield p


def test_pause_flow_in_a_real_browser(server: str, page: object, key: str, sample_copy: SampleDb) -> None:
    from openfeature import api
    from openfeature.contrib.provider.ofrep import OFREPProvider

    p = page
    p.goto(f"{server}/review?deployment={DEPLOYMENT}&week={WEEK}")  # type: ignore[attr-defined]
    p.get_by_text("Recommendation: PAUSE").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    # nothing is pre-selected: the owner chooses pause, as recommended
    p.get_by_role("radio", name="pause", exact=True).click()  # type: ignore[attr-defined]
    p.get_by_label("Rationale").fill("Agents draft customer replies with it; pause until re-briefed.")  # type: ignore[attr-defined]
    p.get_by_role("button", name="Record decision").click()  # type: ignore[attr-defined]
    p.get_by_text("Recorded decision #1").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    p.get_by_text("Operating mode: PAUSED").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    p.get_by_text("not yet observed by the app").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert p.get_by_text("Fallback:").count() == 1  # type: ignore[attr-defined]
    # Tick who was told, one by one; each tick is stored with who (the signed-in person: here the local
    # user of a dashboard without sign-in) and when.
    who = local_user().label
    for name in ("Model provider (Anthropic account team)", "Data protection officer"):
        p.get_by_text(name, exact=True).click()  # type: ignore[attr-defined]
        p.get_by_text(f"{name} — told; ticked by {who}").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    p.get_by_text("Tell (2 of 3 told)").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    no_error_on(p)
    screenshot(p, "pause_not_yet_observed")
    # The deployed app reads its status with the real OFREP provider.
    api.set_provider(
        OFREPProvider(server, headers_factory=lambda: {"Authorization": f"Bearer {key}"}), domain="app"
    )
    assert (
        api.get_client(domain="app").get_string_value(f"postlaunch.{DEPLOYMENT}.mode", "unknown") == "paused"
    )
    p.reload()  # type: ignore[attr-defined]
    p.get_by_text("first read by the app").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert p.get_by_text("not yet observed by the app").count() == 0  # type: ignore[attr-defined]
    no_error_on(p)
    screenshot(p, "pause_acknowledged")
    # The meeting's view of it, for the docs: from the title to the notify checklist.
    top = p.get_by_role("heading", name="Support ticket triage").first.bounding_box()  # type: ignore[attr-defined]
    bottom = p.get_by_text("Support team leads (L1, L2, escalations)").first.bounding_box()  # type: ignore[attr-defined]
    main = p.locator("[data-testid=stMainBlockContainer]").bounding_box()  # type: ignore[attr-defined]
    clip = {"x": main["x"], "y": top["y"] - 16, "width": main["width"], "height": bottom["y"] + 80 - top["y"]}
    p.screenshot(path=str(SHOTS / "pause_acknowledged_top.png"), clip=clip)  # type: ignore[attr-defined]
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        p.screenshot(path=str(DOC_SHOT), clip=clip)  # type: ignore[attr-defined]
    with connect(sample_copy.db, read_only=True) as conn:
        ticks = conn.execute("SELECT item, recorded_by FROM decision_followups ORDER BY seq").fetchall()
        reads = conn.execute("SELECT outcome, mode FROM status_reads").fetchall()
    assert ticks == [
        ("Model provider (Anthropic account team)", who),
        ("Data protection officer", who),
    ]
    assert reads == [("ok", "paused")]
