"""AppTest of the Readiness page (DESIGN §13): the seven items as they stand for the picked week's
meeting, with what the data says, and the form that appends a record (refusing what the contract
refuses, adding nothing for a record already on file)."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date

import pytest
from dashboard_db import APP, SampleDb, page_errors, point_at, sample_copy, sample_db  # noqa: F401
from streamlit.testing.v1 import AppTest

from dashboard import auth
from postlaunch.access import resolve
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.readiness import ITEMS

DEP, WEEK = "sales-email-drafter", "2026-W45"
NAMES = {"vp.sales@example.org": "Val Sales", "hr.director@example.org": "Hana Reyes"}  # registry `owners`


def _sign_in(sample: SampleDb, monkeypatch: pytest.MonkeyPatch, email: str) -> None:
    """Sign in as `email`, with the roles the registry and `[access]` give it (none beyond ownership)."""
    ctx = load_context(sample.config, sample.db)
    who = resolve(ctx.registry, name=NAMES[email], email=email)
    monkeypatch.setattr(auth, "current_identity", lambda: who)


def _open(sample: SampleDb, monkeypatch: pytest.MonkeyPatch, email: str | None = None) -> AppTest:
    point_at(monkeypatch, sample.db, sample.config)
    if email:
        _sign_in(sample, monkeypatch, email)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["deployment"] = DEP
    at.query_params["week"] = WEEK
    at.run()
    at.switch_page("views/readiness.py").run()
    assert not at.exception, at.exception
    assert not page_errors(at), page_errors(at)
    return at


def test_the_page_shows_the_seven_items_as_they_stand_for_the_meeting(
    sample_db: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(sample_db, monkeypatch)
    assert at.title[0].value == "Readiness · Sales email drafter"
    assert "review meeting of 2026-W45 on Tuesday 10 Nov 2026" in at.caption[0].value
    table = next(d.value for d in at.dataframe if "what the data says" in d.value.columns)
    assert list(table["item"]) == list(ITEMS)
    testing = table[table["item"] == "testing"].iloc[0]
    assert testing["status"] == "expired" and testing["valid until"] == "2026-11-05"
    assert (
        testing["what the data says"]
        == "testing: met, but the evidence expired on 2026-11-05 (dated 2026-05-05)"
    )
    assert any("expand is held back by testing" in m.value for m in at.markdown)
    marks = [m for m in at.markdown if "-badge[:material/" in m.value]  # the row of seven marks (st.badge)
    assert [m.value.split(": ", 1)[1].rstrip("]") for m in marks] == list(ITEMS)
    (testing_mark,) = [m for m in marks if m.value.endswith(" testing]")]
    assert testing_mark.value.startswith(":red-badge[:material/cancel:")
    assert "**expired** — testing: met, but the evidence expired on 2026-11-05" in testing_mark.proto.help


def test_the_form_appends_a_record_and_refuses_bad_ones(
    sample_copy: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(sample_copy, monkeypatch, "vp.sales@example.org")  # the registry's owner of the drafter
    submit = next(b for b in at.button if b.label == "Record")
    submit.click().run()
    assert any("The evidence is empty" in e.value for e in at.error)
    at.selectbox(key=f"ri-{DEP}").set_value("testing")
    at.text_input(key=f"re-{DEP}").input("https://intranet.example.org/ai/sales/retest-2026-11")
    at.date_input(key=f"rd-{DEP}").set_value(date(2026, 11, 6))
    at.date_input(key=f"rx-{DEP}").set_value(date(2026, 11, 1))  # before the evidence: refused
    next(b for b in at.button if b.label == "Record").click().run()
    assert any('expires "2026-11-01" is not after evidence_date "2026-11-06"' in e.value for e in at.error)
    at.date_input(key=f"rx-{DEP}").set_value(None)
    next(b for b in at.button if b.label == "Record").click().run()
    assert not page_errors(at), page_errors(at)
    assert any(
        "Recorded **testing: met** for sales-email-drafter by Val Sales (vp.sales@example.org)" in s.value
        for s in at.success
    )
    # the re-test is dated before the W45 meeting (10 Nov): the item stands again, and expand is back in reach
    table = next(d.value for d in at.dataframe if "what the data says" in d.value.columns)
    assert table[table["item"] == "testing"].iloc[0]["status"] == "met"
    next(b for b in at.button if b.label == "Record").click().run()
    assert any("already on file: nothing was added" in s.value for s in at.success)
    with connect(sample_copy.db, read_only=True) as conn:
        rows = conn.execute(
            "SELECT r.item, r.evidence_date, r.source, u.who FROM readiness_records r JOIN ingest_runs u USING (run_id) "
            "WHERE r.source = 'form'"
        ).fetchall()
        failed = conn.execute("SELECT count(*) FROM quarantine WHERE kind = 'readiness'").fetchone()
    assert rows == [("testing", date(2026, 11, 6), "form", "Val Sales <vp.sales@example.org>")]
    assert failed == (0,)  # a refused entry writes nothing


def test_who_may_not_record_readiness_gets_no_form_and_a_refusal_at_the_server(
    sample_copy: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(sample_copy, monkeypatch, "hr.director@example.org")  # owns hr-assistant, not the drafter
    assert not [b for b in at.button if b.label == "Record"]
    assert any("recorded by its owners (VP Sales) or governance" in c.value for c in at.caption)
    from dashboard import writes
    from postlaunch.access import PermissionDenied

    with pytest.raises(PermissionDenied, match="may not record readiness evidence"):
        writes.record_readiness(DEP, "testing", "met", "x", date(2026, 11, 6), "VP Sales", None)
