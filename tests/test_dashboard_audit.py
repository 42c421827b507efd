"""The Scope page's "Check a sample" (DESIGN §12) in AppTest: drawing the week's sample, one request at a
time with the approved use cases and out_of_scope to choose from, progress, each answer stored at once as
a label (a new AppTest, like a reopened tab, continues where the last one stopped), going back to change
an answer (history kept), and the estimate turning from inferred to audited."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from dashboard_db import APP, SampleDb, fresh_streamlit_caches, page_errors, point_at, sample_copy, sample_db  # noqa: F401
from streamlit.testing.v1 import AppTest

from dashboard import auth, writes
from metrics import api
from postlaunch.access import Identity, PermissionDenied
from postlaunch.config import load_context
from postlaunch.db import connect

DRIFTING = "support-triage"
WEEK = "2026-W47"
AUDITOR = Identity("Ana Auditor", "ana.auditor@example.org", roles=frozenset({"governance"}))
VIEWER = Identity("Vic Viewer", "vic.viewer@example.org", roles=frozenset({"viewer"}))


def _open(sample: SampleDb, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    point_at(monkeypatch, sample.db, sample.config)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["deployment"] = DRIFTING
    at.query_params["week"] = WEEK
    at.run()
    at.switch_page("views/scope.py").run()
    assert not at.exception, at.exception
    assert not page_errors(at), page_errors(at)
    return at


def _button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def test_check_a_sample_stores_each_answer_at_once(
    sample_copy: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "current_identity", lambda: AUDITOR)
    at = _open(sample_copy, monkeypatch)
    assert f"Check a sample · {WEEK}" in [s.value for s in at.subheader]
    assert any("placed by text, not yet checked by a person" in i.value for i in at.info)
    _button(at, "Draw 40 requests to check").click().run()
    assert not at.exception, at.exception
    ctx = load_context(sample_copy.config, sample_copy.db)
    approved = list(ctx.registry.get(DRIFTING).approved_use_cases)
    labels = [b.label for b in at.button if b.label in [*approved, "out_of_scope"]]
    assert labels == [*approved, "out_of_scope"]
    assert at.get("progress")[0].proto.text == "0 of 40 checked"
    answers = ["out_of_scope", approved[0], approved[1]]
    for answer in answers:
        _button(at, answer).click().run()
        assert not at.exception, at.exception
    assert at.get("progress")[0].proto.text == "3 of 40 checked"
    with connect(ctx.db, read_only=True) as conn:
        stored = conn.execute(
            "SELECT l.use_case, l.labelled_by FROM labels l JOIN scope_draw_events de USING (identity) "
            "ORDER BY de.position"
        ).fetchall()
        review = api.build_review(conn, ctx, DRIFTING, WEEK)
    assert stored == [(a, AUDITOR.label) for a in answers]
    estimate = review.metrics["out_of_scope_share"].estimate
    assert estimate is not None and (estimate["method"], estimate["audited_n"]) == ("audited", 3)
    # a closed tab loses nothing: a new session goes on with the 4th request
    again = _open(sample_copy, monkeypatch)
    assert again.get("progress")[0].proto.text == "3 of 40 checked"
    assert any("Request 4 of 40" in c.value for c in again.caption)
    _button(again, "Back to the previous request").click().run()
    assert any("Request 3 of 40" in c.value for c in again.caption)
    _button(again, "out_of_scope").click().run()  # changes the 3rd answer; the earlier one stays in history
    with connect(ctx.db, read_only=True) as conn:
        history = conn.execute(
            "SELECT h.use_case FROM label_history h JOIN scope_draw_events de USING (identity) "
            "WHERE de.position = 3 ORDER BY h.version"
        ).fetchall()
    assert history == [(approved[1],), ("out_of_scope",)]
    assert again.get("progress")[0].proto.text == "3 of 40 checked"


def test_a_viewer_sees_no_sample_to_check_and_cannot_label(
    sample_copy: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "current_identity", lambda: VIEWER)
    at = _open(sample_copy, monkeypatch)
    assert f"Check a sample · {WEEK}" in [s.value for s in at.subheader]
    assert not [b for b in at.button if b.label.startswith("Draw ")]
    assert any("owners or governance" in c.value and "Vic Viewer" in c.value for c in at.caption)
    with pytest.raises(PermissionDenied, match="may not label requests"):
        writes.draw_audit_sample(DRIFTING, WEEK)
    with pytest.raises(PermissionDenied, match="may not label requests"):
        writes.record_label(DRIFTING, WEEK, "any-event", "out_of_scope")
    ctx = load_context(sample_copy.config, sample_copy.db)
    with connect(ctx.db, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM scope_draws").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM labels").fetchone() == (0,)
