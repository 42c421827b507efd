"""The Scope panel (dashboard/scope_panel.py): its plain-words calibration text per threshold source, and
the panel drawn with Streamlit's AppTest on the committed sample after placement."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_db import build_sample, fresh_streamlit_caches, point_at  # noqa: F401 - autouse fixture

from dashboard import scope_panel

CALIBRATED = {
    "percentile": 5.0,
    "calibrated_threshold": 0.194,
    "n_examples": 18,
    "expected_false_flag_rate": 0.0556,
    "threshold_source": "leave-one-out similarity of each example to the rest, jackknife-corrected",
    "per_use_case_median": {"a": 0.39, "b": 0.34},
}


@pytest.mark.parametrize(
    ("threshold", "calibration", "source", "phrases"),
    [
        (
            0.194,
            CALIBRATED,
            "calibrated",
            ["18 example requests", "**0.194**", "5th percentile", "about 6%", "`b`"],
        ),
        (
            0.3,
            {**CALIBRATED, "threshold_source": "registry scope_threshold", "expected_false_flag_rate": 0.25},
            "registry",
            ["`scope_threshold` sets **0.300**", "calibrated threshold, **0.194**", "about 25%"],
        ),
        (
            0.12,
            {
                "n_examples": 2,
                "calibrated_threshold": 0.12,
                "threshold_source": "default: fewer than 5 examples",
            },
            "default",
            ["default **0.120**", "2 example request(s)", "rough"],
        ),
    ],
)
def test_calibration_text(threshold: float, calibration: dict, source: str, phrases: list[str]) -> None:  # type: ignore[type-arg]
    assert scope_panel.threshold_source(calibration) == source
    text = scope_panel.calibration_text({"threshold": threshold, "calibration": calibration})
    for phrase in phrases:
        assert phrase in text


def _panel_script() -> None:
    import os

    from dashboard.scope_panel import render_scope_panel
    from postlaunch.config import load_context

    ctx = load_context(os.environ["POSTLAUNCH_CONFIG"], os.environ["POSTLAUNCH_DB"])
    render_scope_panel(ctx, "support-triage", "2026-W40", "2026-W47", max_clusters=4)


@pytest.mark.slow
def test_panel_on_placed_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from ingest.scope.place import place_pending
    from postlaunch.config import load_context

    sample = build_sample(tmp_path / "sample", place=False)
    point_at(monkeypatch, sample.db, sample.config)
    at = AppTest.from_function(_panel_script, default_timeout=120)
    at.run()
    assert not at.exception and not at.error
    assert any("No request has been placed yet" in i.value for i in at.info)

    place_pending(load_context(sample.config, sample.db))
    at = AppTest.from_function(_panel_script, default_timeout=120)
    at.run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Out-of-scope threshold"] == "0.273"  # the labelled requests joined as references
    assert metrics["Set by"] == "calibration"
    labels = [e.label for e in at.expander]
    clusters = [label for label in labels if " requests (" in label]
    assert 2 <= len(clusters) <= 4
    assert any("repl" in label or "draft" in label for label in clusters), clusters
    assert any("nearest the threshold" in label for label in labels)
