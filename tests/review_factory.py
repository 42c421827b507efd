"""A complete, hand-made `Review` for tests of what renders it (pack, minutes, pages): every metric of
the catalog present (no value, no threshold) unless a test gives it."""

from __future__ import annotations

from typing import Any

from metrics.model import Review
from postlaunch.catalog import BY_NAME, METRICS


def metric(name: str, **values: Any) -> dict[str, Any]:
    spec = BY_NAME[name]
    base = {
        "value": None,
        "n": None,
        "ci": None,
        "status": "no_threshold",
        "warn": None,
        "critical": None,
        "direction": spec.direction,
        "previous": None,
        "category": spec.category,
        "unit": spec.unit,
    }
    return {**base, **values}


def make_review(metrics: dict[str, dict[str, Any]] | None = None, **parts: Any) -> Review:
    """A review of support-triage 2026-W47 with `metrics` (name -> fields) and top-level `parts`."""
    given = metrics or {}
    data: dict[str, Any] = {
        "deployment": "support-triage",
        "week": "2026-W47",
        "period": {"start": "2026-11-16", "end": "2026-11-22"},
        "metrics": {m.name: metric(m.name, **given.get(m.name, {})) for m in METRICS},
        "alerts": [],
        "recommendation": {"action": "continue", "reasons": []},
        "open_incidents": [],
        "out_of_scope_examples": [],
        "changes": [],
        "deployment_info": {
            "name": "Support ticket triage",
            "owner": "Head of Support",
            "risk_tier": "high",
            "status": "active",
            "approved_use_cases": ["ticket_classification"],
            "approved_teams": [],
            "max_data_class": "internal",
            "weekly_budget": 1500.0,
            "launched": "2026-06-01",
        },
        "new_use_cases": [],
        "baseline_weeks": [],
        "weeks_of_data": 8,
        "currency": "USD",
        "generated_from": {"first_week": "2026-W40", "last_week": "2026-W47", "timezone": "UTC"},
        "feeds": {
            kind: {"first_week": "2026-W40", "last_week": "2026-W47"}
            for kind in ("cost", "feedback", "incidents", "usage")
        },
    }
    data.update(parts)
    return Review.model_validate(data)
