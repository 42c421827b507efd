"""Readiness (DESIGN §13) end to end on hand-built databases: a healthy deployment whose numbers earn
*expand* gets it only with all seven items met, unexpired and unchallenged; otherwise the reason names
the item. Plus the pure parts: expiry by tier, which record stands, and the marks' levels."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_metrics_data import feedback, insert, make_ctx, open_db, readiness, training, usage

from metrics.api import build_review
from metrics.model import Review
from metrics.queries import ReadinessRecord
from metrics.readiness import standing
from postlaunch.readiness import ITEMS, add_months, expiry
from report import layout

MONDAYS = [datetime(2026, 1, 5) + timedelta(weeks=i) for i in range(6)]  # 2026-W02 .. W07; meeting Mon 16 Feb
FULL_RUNBOOK = {
    "may_pause": ["Owner"],
    "fallback": "manual triage",
    "return_criteria": ["fixed and re-tested"],
}


def build(
    tmp_path: Path,
    *,
    tier: str = "high",
    runbook: dict[str, Any] | None = None,
    items: tuple[str, ...] = tuple(ITEMS),
    trained: bool = True,
    read_at: str | None = "2026-02-10 10:00:00",
    evidence_date: str = "2026-01-01",
    extra: list[dict[str, Any]] | None = None,
) -> Review:
    """A deployment whose numbers earn expand (six quiet weeks, acceptance 1.0, burn 0.1) with the given
    readiness inputs; its review of 2026-W07."""
    ctx = make_ctx(tmp_path, {"dep": {
        "risk_tier": tier, "weekly_budget": 100.0, "runbook": FULL_RUNBOOK if runbook is None else runbook,
        "use_case_descriptions": {"classify": "Classify a ticket", "route": "Route a ticket"},
    }})  # fmt: skip
    conn = open_db(ctx)
    try:
        rows, fb = [], []
        for monday in MONDAYS:
            for j in range(200):
                rows.append(usage(monday + timedelta(hours=1 + j % 150), use_case="classify", team="l1",
                                  user_id=f"u{j % 5}", cost=0.05))  # fmt: skip
            fb += [feedback(monday + timedelta(hours=j), accepted=True, rating=5) for j in range(40)]
        insert(conn, "usage_events", rows)
        insert(conn, "feedback", fb)
        insert(
            conn,
            "readiness_records",
            [readiness("dep", i, evidence_date=evidence_date) for i in items] + (extra or []),
        )
        if trained:
            insert(
                conn,
                "training_records",
                [training(f"u{k}", "2025-12-01 00:00:00", deployment="dep") for k in range(5)],
            )
        if read_at:
            insert(
                conn,
                "status_reads",
                [{"read_at": read_at, "deployment": "dep", "outcome": "ok", "mode": "normal"}],
            )
        return build_review(conn, ctx, "dep", "2026-W07")
    finally:
        conn.close()


def blocking(review: Review) -> dict[str, str]:
    return {r.item: r.message for r in review.readiness if r.blocks_expand}


def test_all_seven_standing_lets_a_high_tier_deployment_expand(tmp_path: Path) -> None:
    review = build(tmp_path)
    assert blocking(review) == {}
    assert review.action == "expand"
    assert any("readiness: all seven items" in r.text for r in review.recommendation.reasons)  # type: ignore[union-attr]
    pause = next(r for r in review.readiness if r.item == "pause")
    assert (
        pause.check == "ok"
        and pause.message == "pause: met; the runbook is complete; the app last read its status on 2026-02-10"
    )


@pytest.mark.parametrize(
    ("case", "kwargs", "item", "message"),
    [
        (
            "no testing record",
            {"items": tuple(i for i in ITEMS if i != "testing")},
            "testing",
            "testing: no readiness record",
        ),
        (
            "runbook incomplete",
            {"runbook": {"may_pause": ["Owner"]}},
            "pause",
            "pause: met, but the runbook lacks fallback, return_criteria ([deployments.dep.runbook])",
        ),
        (
            "no status read in 30 days",
            {"read_at": "2026-01-10 10:00:00"},
            "pause",
            "pause: met, but the app has not read its operating status in the 30 days to 2026-02-16 "
            "(last on 2026-01-10; high tier)",
        ),
        (
            "never read",
            {"read_at": None},
            "pause",
            "pause: met, but the app has not read its operating status in the 30 days to 2026-02-16 (never; high tier)",
        ),
        (
            "no training records",
            {"trained": False},
            "training",
            "training: met, but no training records loaded",
        ),
        (
            "high tier evidence is valid 3 months",
            {
                "items": tuple(i for i in ITEMS if i != "testing"),
                "extra": [readiness("dep", "testing", evidence_date="2025-11-10")],
            },
            "testing",
            "testing: met, but the evidence expired on 2026-02-10 (dated 2025-11-10)",
        ),
        (
            "not met",
            {
                "extra": [
                    readiness(
                        "dep",
                        "access",
                        status="not_met",
                        evidence_date="2026-02-02",
                        evidence="contractors still have access",
                    )
                ]
            },
            "access",
            "access: not met — contractors still have access",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "",
)
def test_an_incomplete_checklist_keeps_expand_away_and_names_the_item(
    tmp_path: Path, case: str, kwargs: dict[str, Any], item: str, message: str
) -> None:
    review = build(tmp_path, **kwargs)
    assert review.action == "continue", case
    assert blocking(review) == {item: message}
    (reason,) = [r for r in review.recommendation.reasons if r.item]  # type: ignore[union-attr]
    assert reason.item == item and reason.rule == 5 and reason.text.startswith(f"readiness {message}")
    data = review.as_json_dict()["recommendation"]["reasons"]
    assert [r["item"] for r in data if "item" in r] == [item]  # `item` only on readiness reasons


def test_low_tier_needs_no_status_read_and_owner_without_access_does_not_block(tmp_path: Path) -> None:
    review = build(tmp_path, tier="low", read_at=None)
    assert review.action == "expand"
    owner = next(r for r in review.readiness if r.item == "owner")
    assert owner.check == "unknown" and not owner.blocks_expand
    assert owner.message == (
        "owner: met; the registry names no `owners` who sign in: only governance can record its decisions"
    )


def test_a_later_record_stands_from_its_evidence_date(tmp_path: Path) -> None:
    later = readiness(
        "dep", "testing", status="not_met", evidence_date="2026-02-20", evidence="edge cases fail"
    )
    review = build(tmp_path, extra=[later])  # dated after the W07 meeting (16 Feb): not yet standing
    assert review.action == "expand"
    earlier = readiness(
        "dep", "testing", status="not_met", evidence_date="2026-02-09", evidence="edge cases fail"
    )
    assert build(tmp_path / "b", extra=[earlier]).action == "continue"


def _rec(item: str, day: str, status: str = "met", at: int = 0) -> ReadinessRecord:
    return ReadinessRecord(item, status, "e", date.fromisoformat(day), "r", None, "file",
                           datetime(2026, 1, 1) + timedelta(minutes=at), "ops")  # fmt: skip


def test_standing_is_the_latest_evidence_then_the_latest_recorded() -> None:
    records = [_rec("testing", "2026-01-05", at=0), _rec("testing", "2026-01-03", "not_met", at=1),
               _rec("testing", "2026-01-05", "unknown", at=2), _rec("owner", "2026-03-01", at=3)]  # fmt: skip
    got = standing(records, date(2026, 2, 1))
    assert got["testing"].status == "unknown" and "owner" not in got


@pytest.mark.parametrize(
    ("day", "months", "want"),
    [
        (date(2026, 5, 5), 6, date(2026, 11, 5)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 11, 5), -6, date(2026, 5, 5)),
    ],  # fmt: skip
)
def test_add_months_clamps_to_the_month_end(day: date, months: int, want: date) -> None:
    assert add_months(day, months) == want


def test_expiry_by_tier_unless_the_record_names_one() -> None:
    day = date(2026, 1, 15)
    assert [expiry(day, None, t) for t in ("low", "medium", "high")] == [
        date(2027, 1, 15), date(2026, 7, 15), date(2026, 4, 15),
    ]  # fmt: skip
    assert expiry(day, date(2026, 2, 1), "low") == date(2026, 2, 1)


def test_mark_levels() -> None:
    from types import SimpleNamespace as S

    def item(**kw: Any) -> Any:
        return S(**{"status": "met", "expired": False, "check": "ok", "blocks_expand": False, **kw})

    assert layout.readiness_level(item()) == "ok"
    assert layout.readiness_level(item(check="unknown")) == "ok"  # owner without [access]: not blocking
    assert layout.readiness_label(item(check="unknown", blocks_expand=True)) == "unchecked"
    assert layout.readiness_level(item(check="challenged", blocks_expand=True)) == "warn"
    assert layout.readiness_label(item(expired=True, blocks_expand=True)) == "expired"
    assert layout.readiness_level(item(status="not_met", blocks_expand=True)) == "critical"
    assert layout.readiness_label(item(status=None, blocks_expand=True)) == "no record"
