"""docs/metrics.md is generated from the catalog and must equal it; every metric is documented."""

from __future__ import annotations

from pathlib import Path

from metrics.docs import metrics_doc
from postlaunch.catalog import DEFAULT_THRESHOLDS, METRICS

DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def test_doc_file_is_generated_from_the_catalog() -> None:
    assert DOC.read_text(encoding="utf-8") == metrics_doc(), (
        "docs/metrics.md is stale: run `python -m metrics.docs > docs/metrics.md`"
    )


def test_every_metric_has_a_doc_line() -> None:
    doc = metrics_doc()
    for metric in METRICS:
        (line,) = [row for row in doc.splitlines() if row.startswith(f"| `{metric.name}` |")]
        assert metric.definition in line
        if metric.name in DEFAULT_THRESHOLDS:
            assert "low " in line and "high " in line


def test_every_threshold_belongs_to_a_declared_metric() -> None:
    names = {m.name for m in METRICS}
    assert set(DEFAULT_THRESHOLDS) <= names
    # DESIGN §5, + usage_feed_gap (§19), untrained_use_share (§15), serious_incidents_due_soon (§16)
    assert len(names) == len(METRICS) == 29
