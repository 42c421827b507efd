"""The decision form on the Weekly review (AppTest): the week's standing decision is shown above it, the
form starts without a pre-selected decision and is empty again after recording, the same submission
twice records once, and another decision for the week needs the explicit "Replace" confirmation and is
recorded as superseding the first (DESIGN §19)."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from dashboard_db import (  # noqa: F401
    APP,
    SampleDb,
    fresh_streamlit_caches,
    page_errors,
    point_at,
    sample_copy,
    sample_db,
)
from streamlit.testing.v1 import AppTest

from metrics import api
from metrics.evidence import decision_log, verify_chain
from postlaunch import db as pdb
from postlaunch.config import load_context

DRIFTING = "support-triage"
RATIONALE = "Drift into refunds keeps growing; limit to approved teams."


def _week(sample: SampleDb) -> str:
    ctx = load_context(sample.config, sample.db)
    with pdb.connect(sample.db, read_only=True) as conn:
        week = api.latest_week(conn, ctx, DRIFTING)
    assert week is not None
    return week


def _open(sample: SampleDb, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    point_at(monkeypatch, sample.db, sample.config)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["deployment"] = DRIFTING
    at.run()
    at.switch_page("views/weekly_review.py").run()
    assert not at.exception and not page_errors(at), page_errors(at)
    return at


def _fill(
    at: AppTest, week: str, decision: str | None, rationale: str, supersede: bool | None = None
) -> AppTest:
    if decision:
        at.segmented_control(key=f"decision-{DRIFTING}-{week}").set_value(decision)
    at.text_area(key=f"rationale-{DRIFTING}-{week}").input(rationale)
    at.text_input(key=f"attendees-{DRIFTING}-{week}").input("Governance lead")
    if supersede is not None:
        at.checkbox(key=f"supersede-{DRIFTING}-{week}").set_value(supersede)
    return at


def _click(at: AppTest) -> AppTest:
    (button,) = [b for b in at.button if b.label == "Record decision"]
    return button.click().run()


def _log(sample: SampleDb) -> list[dict]:
    with pdb.connect(sample.db, read_only=True) as conn:
        assert verify_chain(conn).ok
        return decision_log(conn).iloc[::-1].to_dict("records")


def test_no_decision_is_preselected_and_none_chosen_records_nothing(
    sample_copy: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    week = _week(sample_copy)
    at = _open(sample_copy, monkeypatch)
    assert at.segmented_control(key=f"decision-{DRIFTING}-{week}").value is None
    assert any(f"No decision recorded for {week} yet" in c.value for c in at.caption)
    at = _click(_fill(at, week, None, RATIONALE))
    assert any("Choose a decision" in e.value and "Nothing was recorded" in e.value for e in at.error)
    assert _log(sample_copy) == []


def test_recording_clears_the_form_and_shows_the_standing_decision(
    sample_copy: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    week = _week(sample_copy)
    at = _click(_fill(_open(sample_copy, monkeypatch), week, "limit", RATIONALE))
    assert not at.exception and not page_errors(at), page_errors(at)
    assert any("Recorded decision #1: **limit**" in s.value for s in at.success)
    standing = [w.value for w in at.warning if "This week's decision: LIMIT" in w.value]
    assert standing and RATIONALE in standing[0] and "Governance lead" in standing[0]
    assert "Recorded as decision #1" in standing[0]
    # the form is empty again (who decides is the signed-in person, never a field)
    assert at.segmented_control(key=f"decision-{DRIFTING}-{week}").value is None
    assert at.text_area(key=f"rationale-{DRIFTING}-{week}").value == ""
    assert at.text_input(key=f"attendees-{DRIFTING}-{week}").value == ""
    assert not [w for w in at.text_input if w.label == "Decided by"]
    assert at.checkbox(key=f"supersede-{DRIFTING}-{week}").value is False
    assert len(_log(sample_copy)) == 1


def test_the_same_submission_twice_records_once(
    sample_copy: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a double click sends: the same values a second time, before the form was emptied."""
    week = _week(sample_copy)
    at = _click(_fill(_open(sample_copy, monkeypatch), week, "limit", RATIONALE))
    at = _click(_fill(at, week, "limit", RATIONALE, supersede=True))
    assert any("Already recorded as decision #1; nothing was added" in s.value for s in at.success)
    assert not page_errors(at)
    assert [r["seq"] for r in _log(sample_copy)] == [1]


def test_another_decision_needs_the_replace_confirmation_and_supersedes(
    sample_copy: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    week = _week(sample_copy)
    at = _click(_fill(_open(sample_copy, monkeypatch), week, "limit", RATIONALE))
    at = _click(_fill(at, week, "pause", "The incident makes it worse: pause until fixed."))
    assert any(
        "Tick “Replace decision #1”" in e.value and "Nothing was recorded" in e.value for e in at.error
    )
    assert len(_log(sample_copy)) == 1
    at = _click(_fill(at, week, "pause", "The incident makes it worse: pause until fixed.", supersede=True))
    assert any("Recorded decision #2, superseding #1: **pause**" in s.value for s in at.success)
    assert any("This week's decision: PAUSE" in w.value and "supersedes #1" in w.value for w in at.warning)
    log = _log(sample_copy)
    assert [(r["seq"], r["decision"], r["supersedes"]) for r in log][1][:2] == (2, "pause")
    assert log[1]["supersedes"] == 1 and log[1]["prev_hash"] == log[0]["hash"]
    # Evidence shows which record it supersedes
    at.switch_page("views/evidence.py").run()
    assert list(at.dataframe[0].value["supersedes"]) == ["#1", ""]
