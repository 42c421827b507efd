"""Golden review JSON for the committed sample (`sample_data/`, ingested with `postlaunch ingest` into a
tmp database): `review --format json` for the last week of each deployment must equal
`tests/golden/review_<deployment>.json`. A change to the review reads as a diff before it is accepted:
regenerate with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_commands_golden.py` and review `git diff`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from commands_db import Sample, clean_env, ingested_sample, sample_deployments

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    with pytest.MonkeyPatch.context() as mp:
        clean_env(mp)
        yield ingested_sample(tmp_path_factory)


def last_week(sample: Sample) -> str:
    from metrics.api import latest_week
    from postlaunch.config import load_context
    from postlaunch.db import connect

    ctx = load_context(sample.config, sample.db)
    with connect(ctx.db, read_only=True) as conn:
        week = latest_week(conn, ctx)
    assert week is not None
    return week


@pytest.mark.parametrize("deployment", sample_deployments())
def test_review_matches_golden(sample: Sample, capsys: pytest.CaptureFixture[str], deployment: str) -> None:
    week = last_week(sample)
    code, got, err = sample.run(
        capsys, "review", "--deployment", deployment, "--format", "json", "--week", week
    )
    assert code == 0, err
    golden = GOLDEN / f"review_{deployment}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: create it with UPDATE_GOLDEN=1 and review it"
    want = golden.read_text(encoding="utf-8")
    if got != want:
        diff = "".join(
            difflib.unified_diff(
                want.splitlines(keepends=True),
                got.splitlines(keepends=True),
                fromfile=f"golden/{golden.name}",
                tofile=f"review --deployment {deployment} --week {week}",
                n=2,
            )
        )
        pytest.fail(f"review JSON differs from the golden file (UPDATE_GOLDEN=1 to accept):\n{diff[:20000]}")
