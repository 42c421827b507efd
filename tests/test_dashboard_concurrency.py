"""While an ingest process loads files in a loop (taking DuckDB's write lock again and again), the
dashboard keeps rendering and every decision recorded from it ends up in the log, chain intact."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from dashboard_db import (  # noqa: F401
    APP,
    ROOT,
    SampleDb,
    fresh_streamlit_caches,
    page_errors,
    point_at,
    sample_copy,
    sample_db,
)
from streamlit.testing.v1 import AppTest

from postlaunch import db as pdb

LOOP = """
import sys, time
from pathlib import Path
from ingest.engine import ingest_paths
from postlaunch.config import load_context

db, config, folder, week_day, seconds = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4], float(sys.argv[5])
ctx = load_context(config, db)
deadline = time.monotonic() + seconds
i = 0
while time.monotonic() < deadline:
    path = folder / f"loop-{i}.csv"
    rows = [f"loop-{i}-{j},{week_day}T10:{j % 60:02d}:00Z,support-triage,user-{j % 7},ticket_classification"
            for j in range(200)]
    path.write_text("event_id,timestamp,deployment,user_id,use_case\\n" + "\\n".join(rows) + "\\n")
    (result,) = ingest_paths(ctx, "usage", [path])
    assert result.status == "loaded" and result.loaded == 200, result
    i += 1
print(i, flush=True)
"""


@pytest.mark.slow
def test_dashboard_renders_and_records_while_ingest_loops(
    sample_copy: SampleDb,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from metrics import api
    from metrics.evidence import decision_log, verify_chain
    from postlaunch.config import load_context

    ctx = load_context(sample_copy.config, sample_copy.db)
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        weeks = api.available_weeks(conn, ctx, "support-triage")[-3:]  # one decision per deployment-week
    week = weeks[-1]
    assert len(weeks) == 3
    point_at(monkeypatch, sample_copy.db, sample_copy.config)
    wednesday = (date.fromisocalendar(int(week[:4]), int(week[6:]), 1) + timedelta(days=2)).isoformat()
    loop = subprocess.Popen(
        [
            sys.executable,
            "-c",
            LOOP,
            str(sample_copy.db),
            str(sample_copy.config),
            str(tmp_path),
            wednesday,
            "25",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    recorded = []
    renders = 0
    try:
        time.sleep(1.0)  # let the loop take the lock first
        for n in range(3):
            at = AppTest.from_file(APP, default_timeout=120)
            at.query_params["deployment"] = "support-triage"
            at.query_params["week"] = weeks[n]
            at.run()
            at.switch_page("views/weekly_review.py").run()
            assert not at.exception and not page_errors(at), page_errors(at)
            assert at.title[0].value.startswith("Support ticket triage")
            renders += 1
            rationale = f"decision {n} recorded while ingest runs"
            at.segmented_control(key=f"decision-support-triage-{weeks[n]}").set_value("continue")
            at.text_area(key=f"rationale-support-triage-{weeks[n]}").input(rationale)
            _submit(at)
            assert not at.exception, at.exception
            assert any("Recorded decision" in s.value for s in at.success), page_errors(at)
            recorded.append(rationale)
            for page in ("views/portfolio.py", "views/evidence.py"):
                at.switch_page(page).run()
                assert not at.exception and not page_errors(at), page_errors(at)
                renders += 1
    finally:
        out, err = loop.communicate(timeout=120)
    assert loop.returncode == 0, err[-2000:]
    assert int(out.strip()) >= 2, "the ingest loop should have written several times meanwhile"
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        log = decision_log(conn)
        chain = verify_chain(conn)
    assert sorted(log["rationale"]) == sorted(recorded)
    assert chain.ok and chain.records == 3
    assert renders == 9


def _submit(at: AppTest) -> None:
    (button,) = [b for b in at.button if b.label == "Record decision"]
    button.click().run()
